import Testing

@testable import SashaWeb

#if canImport(Glibc)
import Glibc
#endif

/// The real-path wall, on a real folder with symlinks, without sockets.
@Suite("FileResolver")
struct FileResolverTests {
    private func resolve(_ site: TestSite, _ target: String) throws -> FileResolver.Outcome {
        let outcome = FileResolver(root: site.root).resolve(try RequestPath(target: target))
        if case .file(let file) = outcome { close(file.descriptor) }
        return outcome
    }

    private func servedName(_ site: TestSite, _ target: String) throws -> String? {
        guard case .file(let file) = try resolve(site, target) else { return nil }
        return file.name
    }

    @Test func findsFilesAndDirectoryIndexes() throws {
        let site = try TestSite()
        #expect(try servedName(site, "/notes.txt") == "notes.txt")
        #expect(try servedName(site, "/") == "index.html")
        #expect(try servedName(site, "/docs/") == "index.html")
        guard case .file(let notes) = FileResolver(root: site.root).resolve(try RequestPath(target: "/notes.txt")) else {
            Issue.record("notes.txt not found")
            return
        }
        defer { close(notes.descriptor) }
        #expect(notes.size == UInt64(TestSite.notesText.utf8.count))
        #expect(notes.modified == TestSite.notesModified)
    }

    @Test func directoryWithoutSlashRedirectsAndWithoutIndexIsNotFound() throws {
        let site = try TestSite()
        guard case .redirectToDirectory = try resolve(site, "/docs") else { Issue.record("no redirect"); return }
        guard case .notFound = try resolve(site, "/empty/") else { Issue.record("empty dir served"); return }
    }

    @Test(arguments: ["/escape.txt", "/outside/secret.txt", "/absolute", "/outside/", "/missing.txt", "/notes.txt/x"])
    func symlinksOutOfTheRootAndMissingFilesAreNotFound(target: String) throws {
        let site = try TestSite()
        guard case .notFound = try resolve(site, target) else {
            Issue.record("\(target) was not refused")
            return
        }
    }

    @Test func aSymlinkThatStaysInsideIsServed() throws {
        let site = try TestSite()
        #expect(try servedName(site, "/alias.txt") == "alias.txt")
    }

    @Test func aFIFOIsForbiddenAndDoesNotBlock() throws {
        let site = try TestSite()
        #expect(mkfifo(site.root + "/pipe", 0o644) == 0)
        guard case .forbidden = try resolve(site, "/pipe") else { Issue.record("fifo not refused"); return }
    }

    @Test func containmentComparesWholeSegments() {
        #expect(FileResolver.isInside("/srv/www", root: "/srv/www"))
        #expect(FileResolver.isInside("/srv/www/a", root: "/srv/www"))
        #expect(!FileResolver.isInside("/srv/www2/a", root: "/srv/www"))
        #expect(!FileResolver.isInside("/srv", root: "/srv/www"))
        #expect(FileResolver.isInside("/anything", root: "/"))
    }

    @Test func permissionErrorsAreForbiddenOthersNotFound() {
        guard case .forbidden = FileResolver.outcome(forErrno: EACCES) else { Issue.record("EACCES"); return }
        guard case .forbidden = FileResolver.outcome(forErrno: EPERM) else { Issue.record("EPERM"); return }
        guard case .notFound = FileResolver.outcome(forErrno: ENOENT) else { Issue.record("ENOENT"); return }
        guard case .notFound = FileResolver.outcome(forErrno: ELOOP) else { Issue.record("ELOOP"); return }
    }

    @Test func aMissingRootServesNothingAndIsNotServable() throws {
        let resolver = FileResolver(root: "/nonexistent/sasha-web-root")
        #expect(!resolver.rootIsServable())
        guard case .notFound = resolver.resolve(try RequestPath(target: "/")) else { Issue.record("served"); return }
    }
}
