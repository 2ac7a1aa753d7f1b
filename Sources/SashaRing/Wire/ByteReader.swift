/// Reads big-endian integers from a byte buffer, failing (never trapping) when the input is short:
/// every packet comes from the network and may be anything.
struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    var end: Int

    init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = start
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - offset }

    mutating func readUInt8() throws(WireError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16() throws(WireError) -> UInt16 { try readInteger() }
    mutating func readUInt32() throws(WireError) -> UInt32 { try readInteger() }
    mutating func readUInt64() throws(WireError) -> UInt64 { try readInteger() }

    private mutating func readInteger<Integer: FixedWidthInteger & UnsignedInteger>() throws(WireError) -> Integer {
        let size = MemoryLayout<Integer>.size
        guard remaining >= size else { throw .truncated }
        var value: Integer = 0
        for index in offset..<offset + size { value = value << 8 | Integer(bytes[index]) }
        offset += size
        return value
    }

    mutating func readBytes(_ count: Int) throws(WireError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .truncated }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func skip(_ count: Int) throws(WireError) {
        guard count >= 0, remaining >= count else { throw .truncated }
        offset += count
    }
}

/// Why a datagram could not be decoded. Each is counted as a drop with its own cause.
public enum WireError: Error, Equatable, Sendable {
    case truncated
    case badVersion(UInt8)
    case unknownMessage(UInt8)
    case badLength
    case tooLarge
    case invalidField(String)
}
