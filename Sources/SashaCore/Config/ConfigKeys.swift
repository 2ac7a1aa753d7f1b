/// The valid keys of each section, in the order the documentation lists them (and unknown-key
/// messages suggest them). A new key is added here and read in `ConfigBuilder`.
enum ConfigKeys {
    static let top = ["cluster", "ring", "control", "plugins", "dispatch", "service", "nodes"]
    static let cluster = ["name", "vip", "ports"]
    static let ring = [
        "port", "members", "interface", "heartbeat_ms", "token_timeout_ms", "broadcast_timeout_ms",
        "key_file", "insecure",
    ]
    static let control = ["dir", "metrics"]
    static let plugins = ["paths"]
    static let dispatch = ["strategy", "policy", "strategy_options", "policy_options"]
    static let service = ["port", "root", "external_port", "health", "max_age_s", "dotfiles"]
    static let node = ["dispatch", "serve", "weight", "tags"]

    /// Longest timing a millisecond key accepts: an hour.
    static let maximumMilliseconds = 3_600_000
}
