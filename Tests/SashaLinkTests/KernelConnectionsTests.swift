import Foundation
import SashaLink
import SashaSDK
import Testing

/// What a server reports to a new dispatcher: its kernel's connections on the cluster ports.
@Suite("the kernel's connections (/proc/net/tcp)")
struct KernelConnectionsTests {
    let vip = IPv4Address("198.18.1.100")!
    let server = IPv4Address("198.18.2.11")!

    @Test("only live connections to the local address on the cluster ports, with the client's address and port")
    func parseKeepsLiveConnectionsToTheVIP() {
        // Addresses as the kernel prints them: the network-order u32 as a (little-endian) host
        // integer; 198.18.1.100 is 640112C6, the client 198.18.1.10 is 0A0112C6.
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
               1: 640112C6:0050 0A0112C6:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1
               2: 640112C6:0050 0A0112C6:9C41 06 00000000:00000000 03:00000F6A 00000000     0        0 0 3 0
               3: 640112C6:1F90 0A0112C6:9C42 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1
               4: 0B0212C6:0050 0A0112C6:9C43 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0 20 4 30 10 -1
               5: 640112C6:0050 0A0112C6:9C44 08 00000000:00000000 00:00000000 00000000     0        0 5 1 0 20 4 30 10 -1
               6: 640112C6:0050 garbage
               7: 640112C6:0050 0A0112C6:123456 01
            """
        let found = KernelConnections.parse(Array(text.utf8), local: vip, ports: [80], server: server)
        let client = IPv4Address("198.18.1.10")!
        #expect(found == [
            Connection(client: client, clientPort: 0x9C40, clusterPort: 80, server: server),  // ESTABLISHED
            Connection(client: client, clientPort: 0x9C44, clusterPort: 80, server: server),  // CLOSE_WAIT
        ])
        // LISTEN, TIME_WAIT, another port, another local address and malformed lines are left out.
        #expect(KernelConnections.parse(Array(text.utf8), local: vip, ports: [8080], server: server).map(\.clientPort) == [0x9C42])
    }

    @Test("tcp6: a v4-mapped connection (a service on [::]) counts; a real IPv6 one does not")
    func parseReadsV4MappedLinesOfTCP6() {
        let text = """
              sl  local_address                         remote_address                        st tx_queue rx_queue
               0: 0000000000000000FFFF0000640112C6:0050 0000000000000000FFFF00000A0112C6:9C40 01 00000000:00000000 00:00000000
               1: 000080FE00000000FF00001200000000:0050 000080FE00000000FF00001300000000:9C41 01 00000000:00000000 00:00000000
               2: 0000000000000000ffff0000640112c6:0050 0000000000000000ffff00000a0112c6:9c42 04 00000000:00000000 00:00000000
            """
        let found = KernelConnections.parse(Array(text.utf8), local: vip, ports: [80], server: server)
        #expect(found.map(\.clientPort) == [0x9C40, 0x9C42])
        #expect(found.allSatisfy { $0.client == IPv4Address("198.18.1.10")! })
    }

    @Test("a connection this process holds is read back from the kernel's own table")
    func readsARealConnection() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0 && client >= 0)
        defer { close(listener); close(client) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(listener, address, length) == 0 && listen(listener, 4) == 0
                    && getsockname(listener, address, &length) == 0 && connect(client, address, length) == 0
            }
        }
        try #require(bound, "cannot make a loopback connection: errno \(errno)")
        let accepted = accept(listener, nil, nil)
        try #require(accepted >= 0)
        defer { close(accepted) }
        var clientAddress = sockaddr_in()
        var clientLength = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &clientAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &clientLength) }
        }
        let port = UInt16(bigEndian: address.sin_port), clientPort = UInt16(bigEndian: clientAddress.sin_port)
        let loopback = IPv4Address("127.0.0.1")!

        let found = KernelConnections.read(local: loopback, ports: [port], server: server)
        #expect(found.contains(Connection(client: loopback, clientPort: clientPort, clusterPort: port, server: server)), "\(found)")
        #expect(found.allSatisfy { $0.clusterPort == port })
        #expect(KernelConnections.read(local: loopback, ports: [port], server: server, paths: ["/nonexistent"]).isEmpty)
    }
}
