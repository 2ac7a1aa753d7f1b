import XCTest
final class SashaWebTestsPlaceholder: XCTestCase {}
