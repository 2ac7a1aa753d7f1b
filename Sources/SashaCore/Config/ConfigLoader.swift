import Foundation
import Yams

/// Reads a configuration file: parses the YAML, checks every key and value, and fills defaults.
public enum ConfigLoader {
    /// Parses and validates the file at `path`. The config is returned only when there is no
    /// problem; the diagnostics list every problem found (not just the first), in file order.
    public static func load(path: String) -> (config: SashaConfig?, diagnostics: [Diagnostic]) {
        switch readText(path) {
        case .success(let text): load(yaml: text, file: path)
        case .failure(let diagnostic): (nil, [diagnostic])
        }
    }

    /// Parses and validates YAML text; `file` names it in locations.
    public static func load(yaml: String, file: String) -> (config: SashaConfig?, diagnostics: [Diagnostic]) {
        let document: YAMLDocument
        switch YAMLDocument.compose(yaml, file: file) {
        case .success(let composed): document = composed
        case .failure(let diagnostic): return (nil, [diagnostic])
        }
        guard let root = document.root, !root.isNull else {
            return (nil, [Diagnostic(location: .start(of: file), message: "the configuration is empty; it needs at least "
                + "cluster (name, vip, ports) and ring (members), e.g. cluster: { name: demo, vip: 10.0.0.100, ports: [80] }")])
        }
        let reader = ConfigReader(file: file, renamedKeys: document.renamedKeys)
        let config = ConfigBuilder(reader: reader).build(root: root)
        let diagnostics = reader.diagnostics
        return (diagnostics.isEmpty ? config : nil, diagnostics)
    }

    /// The file's text, or why it cannot be read (at 1:1 of the file).
    static func readText(_ path: String) -> Result<String, Diagnostic> {
        func failure(_ message: String) -> Result<String, Diagnostic> {
            .failure(Diagnostic(location: .start(of: path), message: message))
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            return failure("cannot read the configuration: no such file; check the path")
        }
        if isFolder.boolValue {
            return failure("cannot read the configuration: this is a folder; give the path of the YAML file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            return failure("cannot read the configuration: permission denied; make the file readable by this user")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            return failure("cannot read the configuration: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return failure("cannot read the configuration: the file is not UTF-8 text; save it as UTF-8")
        }
        return .success(text)
    }
}
