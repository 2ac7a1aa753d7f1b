import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the test process may do. Root-only suites (network namespaces, AF_PACKET sockets, running
/// a command as another user) are `.enabled(if: Privileges.isRoot, ...)`: off root they are skipped
/// with their reason, and CI, which runs as root and sets `SASHA_CI`, fails if it is not root
/// (`RootInCITests`), so that nothing is skipped there.
public enum Privileges {
    public static var isRoot: Bool { getuid() == 0 }
    /// `.ci/run` sets `SASHA_CI=1`.
    public static var inCI: Bool { ProcessInfo.processInfo.environment["SASHA_CI"] == "1" }
}
