import SashaABI

/// One row of `sasha plugins`: a plugin that loaded, or a file that was refused and why.
public struct PluginListing: Sendable, Codable, Equatable {
    public var path: String
    public var kind: PluginKind?
    public var name: String?
    public var summary: String?
    public var abi: UInt32?
    public var toolchain: String?
    public var refused: String?
    public var fix: String?

    public init(_ result: Result<LoadedPlugin, PluginRefusal>) {
        switch result {
        case .success(let plugin):
            path = plugin.path
            kind = plugin.kind
            name = plugin.name
            summary = plugin.summary
            abi = plugin.abiVersion
            toolchain = plugin.toolchain
        case .failure(let refusal):
            path = refusal.path
            refused = refusal.reason
            fix = refusal.fix
        }
    }

    /// The lines `sasha plugins` prints without --json.
    public static func table(_ rows: [PluginListing]) -> String {
        let loaded = rows.filter { $0.refused == nil }.sorted { ($0.kind?.rawValue ?? "", $0.name ?? "") < ($1.kind?.rawValue ?? "", $1.name ?? "") }
        let refused = rows.filter { $0.refused != nil }
        var lines = [pad(["KIND", "NAME", "ABI", "TOOLCHAIN", "PATH"])]
        lines += loaded.map { pad([$0.kind?.rawValue ?? "", $0.name ?? "", "\($0.abi ?? 0)", $0.toolchain ?? "", $0.path]) }
        if loaded.isEmpty { lines.append("(no plugins found)") }
        if !refused.isEmpty {
            lines.append("")
            lines.append("refused:")
            lines += refused.map { "  \($0.path): \($0.refused ?? ""); \($0.fix ?? "")" }
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ columns: [String]) -> String {
        let widths = [10, 24, 5, 11]
        return columns.enumerated().map { index, text in
            index < widths.count ? text.padding(toLength: max(widths[index], text.count + 1), withPad: " ", startingAt: 0) : text
        }.joined()
    }
}
