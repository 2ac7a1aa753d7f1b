import Testing

/// Every multi-process test, one at a time: each starts up to five daemons, and on a 2-core
/// machine two such tests at once would starve each other into false failovers.
@Suite("sasha run: real members on loopback", .serialized)
struct ClusterSuite {}
