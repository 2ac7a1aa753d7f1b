import XCTest
final class HTTPCacheTestsPlaceholder: XCTestCase {}
