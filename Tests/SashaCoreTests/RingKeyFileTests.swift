#if canImport(Glibc)
import Glibc
#endif
import SashaCore
import SashaTestSupport
import Testing

/// Issue 16, item 5: the ring key is read only from a regular file that the daemon's user (or
/// root) owns, never through a symbolic link.
@Suite("Ring key file")
struct RingKeyFileTests {
    @Test("a key written by keygen is read back")
    func readsKeygenOutput() throws {
        let folder = try TemporaryFolder()
        let key = RingKey.generate()
        try key.write(to: folder.file("ring.key"), replacing: false)
        #expect(try RingKeyFile.read(folder.file("ring.key")) == key)
    }

    @Test("a symbolic link to a good key is refused, not followed")
    func linkRefused() throws {
        let folder = try TemporaryFolder()
        try RingKey.generate().write(to: folder.file("real.key"), replacing: false)
        #expect(symlink(folder.file("real.key"), folder.file("ring.key")) == 0)
        let problem = try #require(keyProblem(reading: folder.file("ring.key")))
        #expect(problem.contains("a symbolic link") && problem.contains("set ring.key_file to the real file"), "\(problem)")
    }

    @Test("a key owned by another user is refused with the chown that fixes it, even at mode 0600")
    func foreignOwnerRefused() throws {
        try #require(geteuid() == 0, "changing a file's owner needs root; the test suite runs as root in CI")
        let folder = try TemporaryFolder()
        let path = folder.file("ring.key")
        try RingKey.generate().write(to: path, replacing: false)
        #expect(chown(path, 65534, 65534) == 0)
        let problem = try #require(keyProblem(reading: path))
        #expect(problem.contains("owned by uid 65534") && problem.contains("chown 0 \(path)"), "\(problem)")
        // Root's own key is fine for a daemon of any user (it could not read a 0600 one anyway).
        #expect(chown(path, 0, 0) == 0)
        #expect(keyProblem(reading: path, daemonUser: 1000) == nil)
    }

    @Test("a key others may read is still refused with chmod 600")
    func openModeRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("ring.key")
        try RingKey.generate().write(to: path, replacing: false)
        chmod(path, 0o640)
        #expect(keyProblem(reading: path)?.contains("chmod 600") == true)
    }

    private func keyProblem(reading path: String, daemonUser: uid_t = geteuid()) -> String? {
        do throws(RingKeyFile.Problem) {
            _ = try RingKeyFile.read(path, daemonUser: daemonUser)
            return nil
        } catch {
            return error.description
        }
    }
}
