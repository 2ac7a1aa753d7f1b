import SashaCore
import SashaSDK
import Testing

/// `service`: the embedded web server's root, or an external local server by port.
@Suite("Service configuration")
struct ServiceConfigTests {
    static let head = """
        cluster: { name: demo, vip: 127.0.0.100, ports: [8080] }
        ring: { members: [127.0.0.1, 127.0.0.2] }

        """

    @Test("external_port names a local server; requests go to that port")
    func externalPort() throws {
        let (config, diagnostics) = ConfigLoader.load(yaml: Self.head + "service: { port: 8080, external_port: 8081 }\n", file: "t.yaml")
        #expect(diagnostics.isEmpty)
        #expect(config?.service.externalPort == 8081)
        #expect(config?.service.servingPort == 8081)
        let (files, _) = ConfigLoader.load(yaml: Self.head + "service: { port: 8080, root: www }\n", file: "t.yaml")
        #expect(files?.service.servingPort == 8080)
    }

    @Test("root and external_port together are refused at the external_port line, with both ways out")
    func bothRefused() {
        let problems = ConfigLoader.load(yaml: Self.head + "service:\n  root: www\n  external_port: 8081\n", file: "t.yaml").diagnostics
        #expect(problems.count == 1)
        #expect(problems.first?.description.hasPrefix("t.yaml:5:18: service.root and service.external_port both name the service") == true,
                "\(problems)")
    }

    @Test("a bad external_port is refused like any port")
    func badPort() {
        let problems = ConfigLoader.load(yaml: Self.head + "service: { external_port: 70000 }\n", file: "t.yaml").diagnostics
        #expect(problems.first?.description.contains("external_port") == true, "\(problems)")
    }
}
