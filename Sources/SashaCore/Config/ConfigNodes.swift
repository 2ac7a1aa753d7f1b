import SashaSDK
import Yams

/// `nodes`: per-member settings, keyed by the member's address.
extension ConfigBuilder {
    /// - Parameter members: `ring.members`, or nil when they could not be read (then entries are
    ///   not checked against them).
    func readNodes(_ top: ConfigSection, members: [IPv4Address]?) -> [IPv4Address: NodeConfig] {
        let section = top.section("nodes", known: nil,
                                  contents: "member addresses to their settings, e.g. 10.0.0.1: { weight: 2 }")
        var nodes: [IPv4Address: NodeConfig] = [:]
        var distinctTags: [String] = []
        for entry in section.entries {
            guard let address = IPv4Address(entry.key) else {
                reader.report("nodes: '\(entry.key)' is not an IPv4 address; each key under nodes is the address "
                              + "of a member listed in ring.members", at: entry.keyNode)
                continue
            }
            if let members, !members.contains(address) {
                reader.report("nodes.\(entry.key) is not in ring.members; add \(entry.key) to ring.members, "
                              + "or remove this entry", at: entry.keyNode)
            }
            let node = ConfigSection(reader: reader, name: section.path(entry.key), node: entry.value,
                                     anchor: reader.location(of: entry.keyNode), known: ConfigKeys.node,
                                     contents: "keys (\(ConfigKeys.node.joined(separator: ", ")))")
            let dispatch = node.value("dispatch").flatMap { reader.bool($0, node.path("dispatch")) }
            let serve = node.value("serve").flatMap { reader.bool($0, node.path("serve")) }
            let weight = node.value("weight").flatMap {
                reader.integer($0, node.path("weight"), in: NodeConfig.weightRange)
            }
            let tags = node.value("tags").flatMap { list in
                readList(list, node.path("tags"), of: "tags", example: "tags: [images, video]", unique: true) {
                    itemNode, itemName -> String? in
                    guard let tag = reader.text(itemNode, itemName) else { return nil }
                    if !distinctTags.contains(tag) {
                        distinctTags.append(tag)
                        if distinctTags.count == SashaConfig.maximumTags + 1 {
                            reader.report("\(itemName): '\(tag)' is distinct tag number \(distinctTags.count); a cluster "
                                          + "can use at most \(SashaConfig.maximumTags) distinct tags, so reuse tags",
                                          at: itemNode)
                        }
                    }
                    return tag
                }
            }
            nodes[address] = NodeConfig(dispatch: dispatch ?? true, serve: serve ?? true, weight: weight ?? 1,
                                        tags: tags ?? [])
        }
        if let members, !members.isEmpty {
            if members.allSatisfy({ nodes[$0]?.dispatch == false }) {
                reader.report("nodes: every member has dispatch: false, so none can be elected dispatcher; "
                              + "allow at least one", at: section.anchor)
            }
            if members.allSatisfy({ nodes[$0]?.serve == false }) {
                reader.report("nodes: every member has serve: false, so no member serves requests; "
                              + "let at least one serve", at: section.anchor)
            }
        }
        return nodes
    }
}
