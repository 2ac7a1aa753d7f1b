import Foundation
@testable import SashaCore
import SashaSDK
import SashaTestSupport
import Testing

/// The loader takes good plugins and refuses each kind of bad one with a line naming file and fix.
@Suite("Plugin loader")
struct PluginLoaderTests {
    @Test("a well-formed C plugin loads and its functions are called across the boundary")
    func loadsCPlugin() throws {
        let folder = try TemporaryFolder()
        try CPluginFixture(name: "first").build(at: folder.file("libfirst.so"))
        let plugin = try PluginLoader(searchPaths: [folder.path]).load(name: "first", kind: .policy).get()
        #expect(plugin.kind == .policy)
        #expect(plugin.name == "first")
        #expect(plugin.abiVersion == 1)
        #expect(plugin.toolchain == "c")
        let policy = try plugin.makePolicy(options: .object([:]))
        policy.serversChanged(ServerList(servers: [Server(address: IPv4Address("10.9.8.7")!)]))
        #expect(policy.pick(Flow(client: IPv4Address("127.0.0.1")!, clientPort: 1, clusterPort: 80)) == IPv4Address("10.9.8.7"))
        #expect(plugin.validate(options: .object(["bad": .bool(true)])) == OptionError(key: "bad", "fixture rejects 'bad'"))
    }

    @Test("the host asks a plain-C policy about a flow lost mid-stream only when its descriptor says it is consistent")
    func midStreamFlowsOnlyToConsistentPolicies() throws {
        let folder = try TemporaryFolder()
        try CPluginFixture(name: "lax").build(at: folder.file("liblax.so"))
        try CPluginFixture(name: "steady", flags: "SASHA_PLUGIN_CONSISTENT").build(at: folder.file("libsteady.so"))
        let loader = PluginLoader(searchPaths: [folder.path])
        let server = IPv4Address("10.9.8.7")!
        let lost = Flow(client: IPv4Address("127.0.0.1")!, clientPort: 1, clusterPort: 80, midStream: true)
        for (name, consistent) in [("lax", false), ("steady", true)] {
            let plugin = try loader.load(name: name, kind: .policy).get()
            #expect(plugin.isConsistent == consistent)
            let policy = try plugin.makePolicy(options: .object([:]))
            policy.serversChanged(ServerList(servers: [Server(address: server)]))
            #expect(policy.pick(Flow(client: IPv4Address("127.0.0.1")!, clientPort: 1, clusterPort: 80)) == server)
            // The fixture's own pick answers every flow: only the host can have said no.
            #expect(policy.pick(lost) == (consistent ? server : nil), "\(name)")
        }
    }

    @Test("a library without the entry symbol is refused")
    func refusesMissingEntry() throws {
        let folder = try TemporaryFolder()
        let path = try CPluginFixture(name: "noentry", exportsEntry: false).build(at: folder.file("libnoentry.so"))
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path]).load(name: "noentry", kind: .policy)))
        #expect(refusal.path == path)
        #expect(refusal.description.contains("no sasha_plugin_entry symbol"))
    }

    @Test("a plugin built for another ABI version is refused, naming both versions")
    func refusesABIMismatch() throws {
        let folder = try TemporaryFolder()
        try CPluginFixture(name: "future", abiVersion: "99").build(at: folder.file("libfuture.so"))
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path]).load(name: "future", kind: .policy)))
        #expect(refusal.reason.contains("ABI version 99"))
        #expect(refusal.reason.contains("version 1"))
        #expect(refusal.fix.contains("rebuild"))
    }

    @Test("a plugin that says it is Swift but carries no ABI stamp is refused: the stamp is the one toolchain check")
    func refusesSwiftWithoutStamp() throws {
        let folder = try TemporaryFolder()
        try CPluginFixture(name: "old", toolchain: "swift-5.9").build(at: folder.file("libold.so"))
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path]).load(name: "old", kind: .policy)))
        #expect(refusal.reason.contains("built with swift-5.9 but carries no ABI stamp"))
        #expect(refusal.fix.contains("SashaSDK"))
    }

    @Test("with this host's stamp, the descriptor's toolchain is only shown, not compared")
    func stampedDescriptorToolchainIsInformational() throws {
        let folder = try TemporaryFolder()
        try CPluginFixture(name: "stamped", toolchain: "swift-9.9", stamp: ("SASHA_ABI_VERSION", StampCheck.hostToolchain))
            .build(at: folder.file("libstamped.so"))
        let plugin = try PluginLoader(searchPaths: [folder.path]).load(name: "stamped", kind: .policy).get()
        #expect(plugin.toolchain == "swift-9.9")
    }

    @Test("descriptor flags the host does not know are refused", arguments: [("policy", "2"), ("strategy", "SASHA_PLUGIN_CONSISTENT")])
    func refusesUnknownFlags(kind: String, flags: String) throws {
        let folder = try TemporaryFolder()
        try CPluginFixture(name: "flagged", kind: kind == "policy" ? "SASHA_PLUGIN_POLICY" : "SASHA_PLUGIN_STRATEGY", flags: flags)
            .build(at: folder.file("libflagged.so"))
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path])
            .load(name: "flagged", kind: kind == "policy" ? .policy : .strategy)))
        #expect(refusal.reason.contains("flags this host does not know"))
    }

    @Test("a plugin stamped by another toolchain is refused before any of its code runs")
    func refusesForeignStampWithoutRunningIt() throws {
        let folder = try TemporaryFolder()
        // Its entry aborts the process: if the loader called it, this test run would die.
        try CPluginFixture(name: "alien", stamp: ("SASHA_ABI_VERSION", "clang 1.0 (elsewhere)"), entryAborts: true)
            .build(at: folder.file("libalien.so"))
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path]).load(name: "alien", kind: .policy)))
        #expect(refusal.reason.contains("built by another toolchain (clang 1.0 (elsewhere))"))
        #expect(refusal.fix.contains("same Swift toolchain"))
    }

    @Test("a plugin stamped with another ABI version is refused before any of its code runs")
    func refusesForeignABIStampWithoutRunningIt() throws {
        let folder = try TemporaryFolder()
        try CPluginFixture(name: "ancient", stamp: ("7", "clang 1.0"), entryAborts: true).build(at: folder.file("libancient.so"))
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path]).load(name: "ancient", kind: .policy)))
        #expect(refusal.reason.contains("ABI version 7"))
    }

    @Test("a second file declaring a name already loaded is refused")
    func refusesDuplicateName() throws {
        let folder = try TemporaryFolder()
        let first = try CPluginFixture(name: "twin").build(at: try folder.subfolder("a") + "/libtwin.so")
        let second = try CPluginFixture(name: "twin").build(at: try folder.subfolder("b") + "/libtwin.so")
        let loader = PluginLoader(searchPaths: [folder.path + "/a", folder.path + "/b"])
        let results = loader.loadAll()
        #expect(results.count == 2)
        #expect((try? results[0].get())?.path == first)
        let refusal = try #require(refusalOf(results[1]))
        #expect(refusal.path == second)
        #expect(refusal.reason.contains("duplicate plugin name 'twin'"))
        #expect(refusal.reason.contains(first))
    }

    @Test("a file writable by others is refused before any of its code runs")
    func refusesWorldWritableFile() throws {
        let folder = try TemporaryFolder()
        let path = try CPluginFixture(name: "open").build(at: folder.file("libopen.so"))
        chmod(path, 0o777)
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path]).load(name: "open", kind: .policy)))
        #expect(refusal.path == path)
        #expect(refusal.reason.contains("writable by anyone"))
        #expect(refusal.fix == "run 'chmod go-w \(path)'")
    }

    @Test("a file refused for its mode loads once the mode is fixed, without a restart")
    func recheckedAfterFix() throws {
        let folder = try TemporaryFolder()
        let path = try CPluginFixture(name: "fixed").build(at: folder.file("libfixed.so"))
        chmod(path, 0o666)
        let loader = PluginLoader(searchPaths: [folder.path])
        #expect(refusalOf(loader.load(name: "fixed", kind: .policy)) != nil)
        chmod(path, 0o644)
        #expect((try? loader.load(name: "fixed", kind: .policy).get())?.name == "fixed")
    }

    @Test("a link in a safe folder to a file in an unsafe one is refused, naming the real folder")
    func refusesLinkIntoUnsafeFolder() throws {
        let folder = try TemporaryFolder()
        let unsafe = try folder.subfolder("unsafe")
        let safe = try folder.subfolder("safe")
        try CPluginFixture(name: "linked").build(at: unsafe + "/liblinked.so")
        chmod(unsafe, 0o777)
        #expect(symlink(unsafe + "/liblinked.so", safe + "/liblinked.so") == 0)
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [safe]).load(name: "linked", kind: .policy)))
        #expect(refusal.path.hasSuffix("/unsafe"))
        #expect(refusal.reason.contains("writable by anyone"))
    }

    @Test("a file in a group-writable folder is refused")
    func refusesGroupWritableFolder() throws {
        let folder = try TemporaryFolder()
        try CPluginFixture(name: "shared").build(at: folder.file("libshared.so"))
        chmod(folder.path, 0o775)
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path]).load(name: "shared", kind: .policy)))
        #expect(refusal.path == folder.path)
        #expect(refusal.reason.contains("writable by its group"))
    }

    @Test("a folder above the plugin folder that anyone can write to is refused, as sshd's StrictModes would, naming it")
    func refusesWritableAncestor() throws {
        let folder = try TemporaryFolder()
        let above = real(try folder.subfolder("above"))
        let plugins = try folder.subfolder("above/plugins")
        try CPluginFixture(name: "below").build(at: plugins + "/libbelow.so")
        chmod(above, 0o777)
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [plugins]).load(name: "below", kind: .policy)))
        #expect(refusal.path == above, "\(refusal)")
        #expect(refusal.reason.contains("writable by anyone"), "\(refusal)")
        #expect(refusal.fix == "run 'chmod go-w \(above)'")
        // Sticky, like /tmp: others cannot rename what is not theirs.
        chmod(above, 0o1777)
        #expect((try? PluginLoader(searchPaths: [plugins]).load(name: "below", kind: .policy).get())?.name == "below")
    }

    @Test("a folder above the plugin folder owned by another user is refused")
    func refusesForeignAncestor() throws {
        try #require(geteuid() == 0, "changing a folder's owner needs root; the test suite runs as root in CI")
        let folder = try TemporaryFolder()
        let above = real(try folder.subfolder("theirs"))
        let plugins = try folder.subfolder("theirs/plugins")
        try CPluginFixture(name: "guest").build(at: plugins + "/libguest.so")
        #expect(chown(above, 65534, 65534) == 0)
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [plugins]).load(name: "guest", kind: .policy)))
        #expect(refusal.path == above, "\(refusal)")
        #expect(refusal.reason.contains("owned by uid 65534"), "\(refusal)")
    }

    @Test("a file owned by another user is refused")
    func refusesForeignOwner() throws {
        try #require(geteuid() == 0, "changing a file's owner needs root; the test suite runs as root in CI")
        let folder = try TemporaryFolder()
        let path = try CPluginFixture(name: "foreign").build(at: folder.file("libforeign.so"))
        #expect(chown(path, 65534, 65534) == 0)
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path]).load(name: "foreign", kind: .policy)))
        #expect(refusal.reason.contains("owned by uid 65534"))
        #expect(refusal.fix.contains("chown"))
    }

    @Test("a strategy named where a policy is asked for is refused")
    func refusesWrongKind() throws {
        let folder = try TemporaryFolder()
        try CPluginFixture(name: "mover", kind: "SASHA_PLUGIN_STRATEGY").build(at: folder.file("libmover.so"))
        let loader = PluginLoader(searchPaths: [folder.path])
        let refusal = try #require(refusalOf(loader.load(name: "mover", kind: .policy)))
        #expect(refusal.reason.contains("'mover' is a strategy plugin where a policy was asked for"))
        #expect((try? loader.load(name: "mover", kind: .strategy).get())?.kind == .strategy)
    }

    @Test("a file whose descriptor names another plugin is refused")
    func refusesNameMismatch() throws {
        let folder = try TemporaryFolder()
        try CPluginFixture(name: "inner").build(at: folder.file("libouter.so"))
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path]).load(name: "outer", kind: .policy)))
        #expect(refusal.reason.contains("declares the name 'inner', not 'outer'"))
    }

    @Test("an unknown name says where it looked")
    func reportsMissingPlugin() throws {
        let folder = try TemporaryFolder()
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path]).load(name: "nowhere", kind: .policy)))
        #expect(refusal.reason.contains("no policy plugin named 'nowhere'"))
        #expect(refusal.reason.contains(folder.path))
    }

    @Test("a file that is not a shared library is refused, not fatal")
    func refusesGarbage() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("libjunk.so", "not an ELF file")
        let refusal = try #require(refusalOf(PluginLoader(searchPaths: [folder.path]).load(name: "junk", kind: .policy)))
        #expect(refusal.path == path)
        #expect(refusal.reason.contains("cannot be loaded"))
    }

    @Test("a name that climbs out of the plugin folders (as a ring member could send it) is refused before any file is opened")
    func refusesPathLikeName() throws {
        let folder = try TemporaryFolder()
        let plugins = try folder.subfolder("plugins")
        // A real library one folder up: `plugins/../evil.so` is what the old "\(name).so" reached.
        let evil = try CPluginFixture(name: "evil").build(at: folder.file("evil.so"))
        let loader = PluginLoader(searchPaths: [plugins])
        for name in ["../evil", "/\(folder.path)/evil", "Evil", "", ".hidden", String(repeating: "a", count: 129)] {
            let refusal = try #require(refusalOf(loader.load(name: name, kind: .policy)), "\(name)")
            #expect(refusal.reason.contains("not a valid policy plugin name"), "\(name): \(refusal)")
        }
        // dlopen with RTLD_NOLOAD answers only for a library already in the process: never opened.
        #expect(dlopen(evil, RTLD_NOW | RTLD_NOLOAD) == nil, "the loader opened \(evil)")
    }

    @Test("a live policy swap to a path-like name is refused by the member's factory, with the loader's reason")
    func swapFactoryRefusesPathLikeName() throws {
        let folder = try TemporaryFolder()
        let plugins = try folder.subfolder("plugins")
        _ = try CPluginFixture(name: "swapped").build(at: folder.file("swapped.so"))
        let factory = StrategyRunner.policyFactory(PluginLoader(searchPaths: [plugins]))
        guard case .failure(let refusal) = factory("../swapped", .object([:])) else {
            Issue.record("a swap to ../swapped was accepted")
            return
        }
        #expect(refusal.description.contains("not a valid policy plugin name"), "\(refusal)")
    }

    @Test("the five built-in policies load from the build folder")
    func loadsBuiltInPolicies() throws {
        let loader = PluginLoader(searchPaths: [PackagePaths.buildProducts])
        for name in ["round-robin", "weighted-round-robin", "least-connections", "maglev", "two-choices"] {
            let plugin = try loader.load(name: name, kind: .policy).get()
            #expect(plugin.name == name)
            #expect(plugin.toolchain == swiftToolchain)
            #expect(!plugin.summary.isEmpty)
        }
    }

    /// The path as the loader names a folder above: symbolic links and doubled slashes resolved.
    private func real(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private func refusalOf(_ result: Result<LoadedPlugin, PluginRefusal>) -> PluginRefusal? {
        if case .failure(let refusal) = result { return refusal }
        return nil
    }
}
