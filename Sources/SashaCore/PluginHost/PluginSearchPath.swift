/// Where plugins are looked for: the configured folders in order (relative ones from the working
/// directory, as HAProxy does), then the folder holding the `sasha` executable, where the built-in
/// plugins are built and installed beside it.
public enum PluginSearchPath {
    public static func folders(configured: [String], executableDirectory: String?) -> [String] {
        var folders = configured
        if let executableDirectory, !configured.contains(executableDirectory) {
            folders.append(executableDirectory)
        }
        return folders
    }

    /// The folder of the running executable (from /proc/self/exe), if it can be read.
    public static var executableDirectory: String? {
        let resolved = FileManagerless.resolve("/proc/self/exe")
        guard resolved != "/proc/self/exe", let slash = resolved.lastIndex(of: "/") else { return nil }
        return String(resolved[..<slash])
    }
}
