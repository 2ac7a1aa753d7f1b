import SashaABI
import SashaSDK

#if canImport(Glibc)
import Glibc
#endif

/// Finds plugins by name in the configured folders and loads them with `dlopen`, refusing, each
/// with a one-line reason and fix, any file that is unsafe or was built for another host.
///
/// Loading follows the design notes: `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never `dlclose`,
/// because unloading an image that holds Swift code crashes the process later. A plugin file is
/// `lib<name>.so` (or `<name>.so`) in one of `searchPaths`, searched in order.
///
/// A loaded image belongs to the process, not to one loader: its entry runs once and keeps the
/// host table it was given. So what was loaded, and which names are taken, is process-wide state
/// (`Registry`), shared by every loader and safe to use from any thread.
public struct PluginLoader: Sendable {
    public let searchPaths: [String]

    public init(searchPaths: [String]) {
        self.searchPaths = searchPaths
    }

    /// Plugins loaded in this process by name, and load results by resolved path (so two folders
    /// naming one file load it once).
    private struct Registry {
        var byName: [String: LoadedPlugin] = [:]
        var byPath: [String: Result<LoadedPlugin, PluginRefusal>] = [:]
    }

    private static let registry = Protected(Registry())

    /// Every `.so` file in the search folders, in search order, without repeats.
    public func candidateFiles() -> [String] {
        var seen = Set<String>()
        var files: [String] = []
        for folder in searchPaths {
            guard let entries = try? FileManagerless.list(folder) else { continue }
            for entry in entries.sorted() where entry.hasSuffix(".so") {
                let path = folder.hasSuffix("/") ? folder + entry : folder + "/" + entry
                if seen.insert(FileManagerless.resolve(path)).inserted { files.append(path) }
            }
        }
        return files
    }

    /// Loads every plugin file in the search folders (for `sasha plugins`).
    public func loadAll() -> [Result<LoadedPlugin, PluginRefusal>] {
        candidateFiles().map(load(path:))
    }

    /// Finds and loads the plugin called `name`, which must be of `kind`. Every load by name
    /// passes here, whether the name came from the configuration, the control socket or another
    /// member over the ring, so this is where a name that could form a path is refused.
    public func load(name: String, kind: PluginKind) -> Result<LoadedPlugin, PluginRefusal> {
        guard PluginName.isValid(name) else { return .failure(PluginName.refusal(for: name, kind: kind)) }
        for folder in searchPaths {
            for file in ["lib\(name).so", "\(name).so"] {
                let path = folder.hasSuffix("/") ? folder + file : folder + "/" + file
                guard access(path, F_OK) == 0 else { continue }
                switch load(path: path) {
                case .failure(let refusal): return .failure(refusal)
                case .success(let plugin) where plugin.name != name:
                    return .failure(PluginRefusal(
                        path: path, reason: "declares the name '\(plugin.name)', not '\(name)'",
                        fix: "rename the file to lib\(plugin.name).so, or use '\(plugin.name)' in the configuration"))
                case .success(let plugin): return check(plugin, is: kind)
                }
            }
        }
        let folders = searchPaths.isEmpty ? "no folders (plugins.paths is empty)" : searchPaths.joined(separator: ", ")
        return .failure(PluginRefusal(
            path: name, reason: "no \(kind) plugin named '\(name)' (looked for lib\(name).so in \(folders))",
            fix: "build it, or add its folder to plugins.paths; 'sasha plugins' lists what is found"))
    }

    private func check(_ plugin: LoadedPlugin, is kind: PluginKind) -> Result<LoadedPlugin, PluginRefusal> {
        guard plugin.kind == kind else {
            return .failure(PluginRefusal(
                path: plugin.path, reason: "'\(plugin.name)' is a \(plugin.kind) plugin where a \(kind) was asked for",
                fix: "name it under dispatch.\(plugin.kind) instead, or pick a \(kind) plugin"))
        }
        return .success(plugin)
    }

    /// Loads one file, checking it before and after its code runs.
    public func load(path: String) -> Result<LoadedPlugin, PluginRefusal> {
        let resolved = FileManagerless.resolve(path)
        // Loading is rare and runs plugin code that must not race itself: hold the lock throughout.
        return Self.registry.withLock { registry in
            if let known = registry.byPath[resolved] { return known }
            // A file refused before dlopen (permissions, not a library) may be fixed while the
            // daemon runs: check it afresh next time. Once its code has run, the verdict stands.
            if let refusal = FileSafety.refusal(for: path) { return .failure(refusal) }
            // The real folder was found safe, so only its owner or root can swap the file between
            // the check and here. (dlopen of /proc/self/fd/N would close even that gap, but glibc
            // recognises an already loaded library by that name, and fd numbers are reused.)
            guard let handle = dlopen(resolved, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
                let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
                return .failure(PluginRefusal(path: path, reason: "cannot be loaded: \(reason)",
                                              fix: "rebuild it for this machine, or remove it from plugins.paths"))
            }
            let result = Self.inspect(handle, path: path, registry: registry)
            registry.byPath[resolved] = result
            if case .success(let plugin) = result { registry.byName[plugin.name] = plugin }
            return result
        }
    }

    /// Reads a freshly opened library: its ABI stamp, then its entry and descriptor.
    private static func inspect(_ handle: UnsafeMutableRawPointer, path: String, registry: Registry) -> Result<LoadedPlugin, PluginRefusal> {
        // Deliberately never dlclose'd, even when refused below (see the type's comment).
        let stamp = dlsym(handle, SASHA_PLUGIN_STAMP_SYMBOL)
        if let stamp, let refusal = StampCheck.refusal(for: stamp.assumingMemoryBound(to: sasha_plugin_stamp.self), path: path) {
            return .failure(refusal)
        }
        guard let symbol = dlsym(handle, SASHA_PLUGIN_ENTRY_SYMBOL) else {
            return .failure(PluginRefusal(
                path: path, reason: "no \(SASHA_PLUGIN_ENTRY_SYMBOL) symbol: not a Sasha plugin",
                fix: "export the entry with exportPolicy/exportStrategy from SashaSDK, or remove the file from plugins.paths"))
        }
        let entry = unsafeBitCast(symbol, to: sasha_plugin_entry_fn.self)
        // The entry's table belongs to no member: it logs and registers metrics under the
        // plugin's name, and its `pick` answers 0. A strategy instance gets its member's table
        // at `create` (`makeStrategy(options:context:services:)`).
        let host = HostServices().table(for: Self.stem(of: path))
        guard let descriptor = entry(host) else {
            return .failure(PluginRefusal(path: path, reason: "its entry returned no descriptor (see its log lines above)",
                                          fix: "fix the plugin or remove it from plugins.paths"))
        }
        return DescriptorCheck.verify(descriptor, path: path, stamped: stamp != nil).flatMap { kind in
            let plugin = LoadedPlugin(path: path, descriptor: descriptor, kind: kind, host: host)
            if let existing = registry.byName[plugin.name] {
                return .failure(PluginRefusal(
                    path: path, reason: "duplicate plugin name '\(plugin.name)', already loaded from \(existing.path)",
                    fix: "remove one of the two files or take its folder off plugins.paths"))
            }
            return .success(plugin)
        }
    }

    /// "libround-robin.so" -> "round-robin": the label for the plugin's logs before it has said its name.
    static func stem(of path: String) -> String {
        var name = Substring(path.split(separator: "/").last ?? "")
        if name.hasPrefix("lib") { name = name.dropFirst(3) }
        if name.hasSuffix(".so") { name = name.dropLast(3) }
        return String(name)
    }
}
