extension RingView {
    /// 32 bits that tell two views of one ring and version apart: FNV-1a over the ring, the
    /// dispatcher and every member (address, id, flags). The heartbeat carries it beside the
    /// version, because two members can each make "version + 1" at once (one leaving while the
    /// master takes a member back), and equal versions alone would hide that forever.
    public var digest: UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        func mix(_ value: UInt64, bytes: Int) {
            for index in stride(from: bytes - 1, through: 0, by: -1) {
                let byte = UInt32(truncatingIfNeeded: value >> (8 * UInt64(index))) & 0xFF
                hash = (hash ^ byte) &* 0x0100_0193
            }
        }
        mix(ring, bytes: 8)
        mix(UInt64(dispatcher?.value ?? 0), bytes: 4)
        for member in members {
            mix(UInt64(member.address.value), bytes: 4)
            mix(UInt64(member.id), bytes: 1)
            mix((member.canDispatch ? 1 : 0) | (member.healthy ? 2 : 0), bytes: 1)
        }
        return hash
    }
}
