import XCTest
final class L7TestsPlaceholder: XCTestCase {}
