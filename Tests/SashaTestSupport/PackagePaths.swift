import Foundation

/// Where the package and its build products are, seen from a running test.
public enum PackagePaths {
    /// The package root, from this file's path.
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The folder the test binary was built into, which also holds the plugin libraries and the
    /// `sasha` executable after `swift build` (the README's test command builds them first).
    public static let buildProducts: String = {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        // swift-testing on Linux runs `<Package>PackageTests.xctest` straight from the products folder.
        while !folder.path.isEmpty, folder.path != "/",
              !FileManager.default.fileExists(atPath: folder.appendingPathComponent("sasha").path) {
            folder.deleteLastPathComponent()
        }
        return folder.path
    }()

    public static var sashaExecutable: String { buildProducts + "/sasha" }
}

/// A fresh temporary folder (mode 0755) removed when the value is dropped at the end of a test.
public final class TemporaryFolder {
    public let path: String

    public init() throws {
        var template = Array((NSTemporaryDirectory() + "/sasha-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: made)
        chmod(path, 0o755)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func subfolder(_ name: String) throws -> String {
        let folder = file(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        chmod(folder, 0o755)
        return folder
    }

    public func write(_ name: String, _ text: String) throws -> String {
        let path = file(name)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
