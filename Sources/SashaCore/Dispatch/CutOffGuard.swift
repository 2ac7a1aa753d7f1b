/// Whether this member was cut off from every peer lately: the ring socket's sends to all of them
/// failed (`RingNode.cutOffAt`), and less than `grace` has passed since. The grace lets a member
/// whose link came back hear the others' ring and merge with it before it would take the VIP.
struct CutOffGuard: Sendable {
    /// When it was last cut off (monotonic ns; 0: never).
    let lastCutOff: @Sendable () -> UInt64
    let grace: UInt64

    func holds(now: UInt64) -> Bool {
        let at = lastCutOff()
        return at != 0 && now < at + grace
    }
}
