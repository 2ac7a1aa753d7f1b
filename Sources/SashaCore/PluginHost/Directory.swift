#if canImport(Glibc)
import Glibc
#endif

/// The two file-system questions the loader asks, without Foundation's FileManager.
enum FileManagerless {
    /// Names in a folder, or throws when it cannot be read.
    static func list(_ folder: String) throws -> [String] {
        guard let dir = opendir(folder) else { throw Errno(errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The canonical path (symlinks resolved), or the path itself when it does not exist.
    static func resolve(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    struct Errno: Error { let code: Int32; init(_ code: Int32) { self.code = code } }
}
