import Testing

@testable import SashaWeb

@Suite("MediaTypes")
struct MediaTypesTests {
    @Test(arguments: [
        ("index.html", "text/html; charset=utf-8"), ("style.css", "text/css; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"), ("data.json", "application/json; charset=utf-8"),
        ("a.PNG", "image/png"), ("a.jpg", "image/jpeg"), ("a.jpeg", "image/jpeg"), ("a.gif", "image/gif"),
        ("a.svg", "image/svg+xml; charset=utf-8"), ("a.webp", "image/webp"), ("favicon.ico", "image/x-icon"),
        ("a.txt", "text/plain; charset=utf-8"), ("a.xml", "application/xml; charset=utf-8"),
        ("a.pdf", "application/pdf"), ("a.woff2", "font/woff2"), ("a.mp4", "video/mp4"),
        ("a.wasm", "application/wasm"), ("archive.tar.gz", "application/gzip"),
    ])
    func knownExtensions(name: String, type: String) {
        #expect(MediaTypes.type(forFileName: name) == type)
    }

    @Test(arguments: ["blob", ".bashrc", "a.", "a.unknown", "a.html.bak"])
    func unknownNamesAreOctetStream(name: String) {
        #expect(MediaTypes.type(forFileName: name) == "application/octet-stream")
    }
}
