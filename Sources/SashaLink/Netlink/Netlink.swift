/// The rtnetlink numbers this module uses, from <linux/netlink.h>, <linux/rtnetlink.h>,
/// <linux/if_addr.h> and <linux/if_link.h>, which the Glibc module does not import. They are
/// kernel ABI: fixed forever.
enum Netlink {
    static let protocolRoute: Int32 = 0  // NETLINK_ROUTE
    static let headerSize = 16  // struct nlmsghdr
    static let addressHeaderSize = 8  // struct ifaddrmsg
    static let linkHeaderSize = 16  // struct ifinfomsg
    static let attributeHeaderSize = 4  // struct rtattr

    enum MessageType {
        static let error: UInt16 = 2  // NLMSG_ERROR
        static let done: UInt16 = 3  // NLMSG_DONE
        static let newLink: UInt16 = 16  // RTM_NEWLINK
        static let getLink: UInt16 = 18  // RTM_GETLINK
        static let newAddress: UInt16 = 20  // RTM_NEWADDR
        static let deleteAddress: UInt16 = 21  // RTM_DELADDR
        static let getAddress: UInt16 = 22  // RTM_GETADDR
        static let newRoute: UInt16 = 24  // RTM_NEWROUTE
        static let deleteRoute: UInt16 = 25  // RTM_DELROUTE
        static let getRoute: UInt16 = 26  // RTM_GETROUTE
    }

    struct Flags: OptionSet {
        let rawValue: UInt16
        static let request = Flags(rawValue: 0x1)
        static let multipart = Flags(rawValue: 0x2)
        static let acknowledge = Flags(rawValue: 0x4)
        /// NLM_F_ROOT | NLM_F_MATCH, for a GET request.
        static let dump = Flags(rawValue: 0x300)
        /// For a NEW request: fail with EEXIST if the object exists (shares its bit with NLM_F_MATCH).
        static let exclusive = Flags(rawValue: 0x200)
        static let create = Flags(rawValue: 0x400)
        /// For a NEW request: replace the object if it exists.
        static let replace = Flags(rawValue: 0x100)
    }

    enum AddressAttribute {
        static let address: UInt16 = 1  // IFA_ADDRESS: the peer on point-to-point links, else the local address
        static let local: UInt16 = 2  // IFA_LOCAL
    }

    /// struct rtmsg's fields this module sets, and the route attributes it reads.
    enum Route {
        static let headerSize = 12  // struct rtmsg
        static let mainTable: UInt8 = 254  // RT_TABLE_MAIN
        static let protocolStatic: UInt8 = 4  // RTPROT_STATIC
        static let unicast: UInt8 = 1  // RTN_UNICAST
        static let destination: UInt16 = 1  // RTA_DST
        static let gateway: UInt16 = 5  // RTA_GATEWAY
        static let table: UInt16 = 15  // RTA_TABLE
    }

    enum LinkAttribute {
        static let address: UInt16 = 1  // IFLA_ADDRESS: the hardware address
    }

    enum Scope {
        static let universe: UInt8 = 0  // RT_SCOPE_UNIVERSE
        static let host: UInt8 = 254  // RT_SCOPE_HOST
    }

    static func aligned(_ length: Int) -> Int { (length + 3) & ~3 }
}
