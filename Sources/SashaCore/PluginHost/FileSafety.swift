#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ownership and mode rules a plugin file and its folder must meet before the loader runs any
/// of its code: anyone who can write to them could make the daemon run their code.
///
/// Every ancestor of the folder's real path counts too, as sshd's StrictModes walks up from a
/// user's `authorized_keys`: whoever can write to `/opt` can rename `/opt/sasha` away and put a
/// folder of their own in its place. An ancestor may be writable by others only if it is sticky
/// (like `/tmp`), where they cannot rename what is not theirs.
enum FileSafety {
    /// Why a plugin file is unsafe to load, or nil. Checks the file (through its links) and the
    /// folder it sits in, both as written and, when it is reached through a symbolic link, the
    /// folder it really is in: a link in a safe folder must not lead into an unsafe one.
    static func refusal(for path: String, daemonUser: uid_t = geteuid()) -> PluginRefusal? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return PluginRefusal(path: path, reason: "cannot read it (\(String(cString: strerror(errno))))",
                                 fix: "check the path in plugins.paths")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return PluginRefusal(path: path, reason: "not a regular file",
                                 fix: "point plugins.paths at the folder that holds the .so files")
        }
        if let problem = problem(with: info, at: path, daemonUser: daemonUser) { return problem }
        let written = folder(of: path)
        let real = folder(of: FileManagerless.resolve(path))
        for folder in [written] + (FileManagerless.resolve(written) == real ? [] : [real]) {
            if stat(folder, &info) == 0, let problem = problem(with: info, at: folder, daemonUser: daemonUser) {
                return problem
            }
        }
        return ancestorRefusal(of: FileManagerless.resolve(real), daemonUser: daemonUser)
    }

    /// The first ancestor of `folder` (a real path) that others could change, or nil.
    static func ancestorRefusal(of folder: String, daemonUser: uid_t) -> PluginRefusal? {
        guard folder.hasPrefix("/") else { return nil }  // not resolved: the folder's own stat failed above
        var path = folder
        while path != "/" {
            path = Self.folder(of: path)
            var info = stat()
            guard stat(path, &info) == 0 else {
                return PluginRefusal(path: path, reason: "cannot check this folder above a plugin (\(String(cString: strerror(errno))))",
                                     fix: "make it readable by the daemon's user, or move the plugins elsewhere")
            }
            if let problem = problem(with: info, at: path, daemonUser: daemonUser, stickyAllowed: true) { return problem }
        }
        return nil
    }

    private static func folder(of path: String) -> String {
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return folder.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : folder
    }

    private static func problem(with info: stat, at path: String, daemonUser: uid_t, stickyAllowed: Bool = false) -> PluginRefusal? {
        let mode = info.st_mode & 0o7777
        if mode & 0o022 != 0 && !(stickyAllowed && mode & 0o1000 != 0) {  // 0o1000: sticky (S_ISVTX)
            return PluginRefusal(
                path: path,
                reason: "refused: writable by \(mode & 0o002 != 0 ? "anyone" : "its group") (mode \(String(mode, radix: 8)))",
                fix: "run 'chmod go-w \(path)'")
        }
        if info.st_uid != 0 && info.st_uid != daemonUser {
            return PluginRefusal(
                path: path,
                reason: "refused: owned by uid \(info.st_uid), not by root or the daemon's user (uid \(daemonUser))",
                fix: "run 'chown \(daemonUser == 0 ? "root" : String(daemonUser)) \(path)'")
        }
        return nil
    }
}
