import SashaSDK

extension IPv4Address {
    /// In 127.0.0.0/8: the kernel delivers such packets only from this host (it drops them as
    /// martians on any other interface), which is why `ring.insecure` is allowed only there.
    var isLoopback: Bool { value >> 24 == 127 }
}
