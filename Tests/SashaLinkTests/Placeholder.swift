import XCTest
final class SashaLinkTestsPlaceholder: XCTestCase {}
