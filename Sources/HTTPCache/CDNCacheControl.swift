import NIOHTTP1

/// `CDN-Cache-Control` (RFC 9213): the origin's directives for CDN-like shared caches, which the
/// dispatcher is. When a response carries a valid, non-empty one, its directives replace those of
/// `Cache-Control` and `Expires` for the cache's own decisions (RFC 9213 §2.1); the field itself
/// is passed on to clients unchanged (§2.1 lets a CDN forward it, and a CDN in front of the
/// cluster may use it too).
///
/// Unlike `Cache-Control`, it is a Structured Field Dictionary (RFC 8941 §3.2), parsed strictly:
/// a field that is not one (`max-age =100`, `max-age= 100`, a `&` member, an upper-case key) is
/// ignored whole, and `Cache-Control` applies. A directive of the wrong type (`max-age="60"`) is
/// ignored on its own.
enum CDNCacheControl {
    /// The directives of every `CDN-Cache-Control` line of `headers`, or nil when there is none,
    /// or when their combined value is not a valid, non-empty dictionary.
    static func directives(_ headers: HTTPHeaders) -> CacheControl? {
        var combined: String?
        for (name, value) in headers where name.equalsASCIICaseInsensitive("cdn-cache-control") {
            // Lines of a structured field combine as one list (RFC 8941 §4.2).
            combined = combined.map { $0 + "," + value } ?? value
        }
        guard var combined else { return nil }
        return combined.withUTF8 { bytes in
            var parser = StructuredFieldParser(bytes)
            var control = CacheControl()
            var members = 0
            guard parser.parseDictionary({ key, value in
                members += 1
                apply(key, value, to: &control)
            }), members > 0 else { return nil }
            return control
        }
    }

    private static func apply(_ key: UnsafeBufferPointer<UInt8>, _ value: StructuredFieldParser.Value, to control: inout CacheControl) {
        // A directive is on with any value but false (`private="set-cookie"` is still private:
        // ignoring it would let the field's other members share what the origin kept private).
        let flag = value != .boolean(false)
        func seconds(_ field: inout Int64?) {
            guard case .integer(let number) = value, number >= 0 else { return }
            let capped = min(number, DeltaSeconds.largest)
            field = min(field ?? capped, capped)
        }
        if key.equalsLowercase("max-age") {
            seconds(&control.maxAge)
        } else if key.equalsLowercase("s-maxage") {
            seconds(&control.sharedMaxAge)
        } else if key.equalsLowercase("stale-while-revalidate") {
            seconds(&control.staleWhileRevalidate)
        } else if key.equalsLowercase("stale-if-error") {
            seconds(&control.staleIfError)
        } else if flag, key.equalsLowercase("no-store") {
            control.noStore = true
        } else if flag, key.equalsLowercase("no-cache") {
            control.noCache = true
        } else if flag, key.equalsLowercase("private") {
            control.isPrivate = true
        } else if flag, key.equalsLowercase("public") {
            control.isPublic = true
        } else if flag, key.equalsLowercase("must-revalidate") {
            control.mustRevalidate = true
        } else if flag, key.equalsLowercase("must-understand") {
            control.mustUnderstand = true
        } else if flag, key.equalsLowercase("proxy-revalidate") {
            control.proxyRevalidate = true
        }
    }
}
