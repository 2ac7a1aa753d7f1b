import Foundation
import Testing

@testable import SashaWeb

/// Issue 16, item 11: a redirect never leads off this origin, and dotfiles stay private unless
/// `servesDotfiles` says otherwise. Over a real socket.
@Suite("StaticFileServer stays on its origin and keeps dotfiles private")
struct SameOriginServingTests {
    @Test("the trailing-slash redirect is a path on this origin, whatever form the target had", arguments: [
        ("/docs", "/docs/"),
        ("/docs?lang=en", "/docs/?lang=en"),
        ("//docs", "/docs/"),  // `//docs/` would be the host `docs` to a browser
        ("///docs", "/docs/"),
        ("/./docs", "/docs/"),
        ("http://evil.example/docs", "/docs/"),  // absolute form: the host is not ours to send to
        ("https://evil.example:8443/docs?x=1", "/docs/?x=1"),
        ("/sp%20ace", "/sp%20ace/"),
        ("/pct%2525", "/pct%2525/"),  // the name `pct%25` stays that name
    ])
    func redirectStaysOnOrigin(target: String, location: String) async throws {
        try await withServer { site, server in
            _ = try site.folder.subfolder("root/sp ace")
            _ = try site.folder.subfolder("root/pct%25")
            let response = try await RawHTTPClient.request(target, to: server.localAddress)
            #expect(response.status == 301, "\(target)")
            #expect(response.header("Location") == location, "\(target)")
        }
    }

    @Test("dotfiles, dot folders and plain links to them answer 404 by default", arguments: [
        "/.env", "/.git/config", "/.git/", "/%2eenv", "/docs/.hidden", "/config-link", "/git-link/config",
    ])
    func dotfilesAreNotServed(target: String) async throws {
        try await withServer { site, server in
            try Self.addDotfiles(to: site)
            let response = try await RawHTTPClient.request(target, to: server.localAddress)
            #expect(response.status == 404, "\(target)")
            #expect(!response.text.contains("SECRET"), "\(target)")
        }
    }

    @Test("service.dotfiles: true serves them")
    func dotfilesServedWhenAsked() async throws {
        try await withServer(configure: { $0.servesDotfiles = true }) { site, server in
            try Self.addDotfiles(to: site)
            for target in ["/.env", "/.git/config", "/config-link"] {
                let response = try await RawHTTPClient.request(target, to: server.localAddress)
                #expect(response.status == 200 && response.text.contains("SECRET"), "\(target)")
            }
        }
    }

    private static func addDotfiles(to site: TestSite) throws {
        _ = try site.folder.write("root/.env", "SECRET=1\n")
        _ = try site.folder.subfolder("root/.git")
        _ = try site.folder.write("root/.git/config", "SECRET git\n")
        _ = try site.folder.write("root/docs/.hidden", "SECRET hidden\n")
        symlink(".git/config", site.root + "/config-link")
        symlink(".git", site.root + "/git-link")
    }
}
