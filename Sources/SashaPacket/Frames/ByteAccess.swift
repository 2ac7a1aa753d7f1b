// Big-endian loads and stores at a byte offset. Wire headers are big-endian and frames sit at any
// alignment, so every access is unaligned. The views check lengths once, when they are made (see
// `classify(_:)` and each view's failable initialiser); these helpers then read inside the range
// that was checked, so they carry no check of their own on the hot path.

extension UnsafeMutableRawBufferPointer {
    @inlinable @inline(__always)
    func _byte(at offset: Int) -> UInt8 {
        self.loadUnaligned(fromByteOffset: offset, as: UInt8.self)
    }

    @inlinable @inline(__always)
    func _uint16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable @inline(__always)
    func _uint32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable @inline(__always)
    func _setByte(_ value: UInt8, at offset: Int) {
        self.storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
    }

    @inlinable @inline(__always)
    func _setUInt16(_ value: UInt16, at offset: Int) {
        self.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inlinable @inline(__always)
    func _setUInt32(_ value: UInt32, at offset: Int) {
        self.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// A MAC address is 6 bytes: one 32-bit and one 16-bit load instead of six byte loads.
    @inlinable @inline(__always)
    func _mac(at offset: Int) -> MACAddress {
        MACAddress(rawValue: UInt64(_uint32(at: offset)) << 16 | UInt64(_uint16(at: offset + 4)))
    }

    @inlinable @inline(__always)
    func _setMAC(_ mac: MACAddress, at offset: Int) {
        _setUInt32(UInt32(truncatingIfNeeded: mac.rawValue >> 16), at: offset)
        _setUInt16(UInt16(truncatingIfNeeded: mac.rawValue), at: offset + 4)
    }
}
