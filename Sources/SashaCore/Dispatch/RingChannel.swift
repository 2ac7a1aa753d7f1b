/// The channels of the ring's cluster messages (`RingMachine.submit(channel:)`), all in one place
/// so that no two uses can take the same number. The ring carries the channel as one byte and does
/// not look at it; a member that receives a channel it does not know drops the message.
enum RingChannel: UInt8 {
    /// A new dispatcher asks every member for the connections it holds (`ConnectionLists`).
    case connectionListRequest = 1
    /// A member's connection list, in chunks, to the dispatcher that asked (`ConnectionLists`).
    case connectionList = 2
    /// The two rounds of a live policy swap, and the policy state for late joiners (`PolicyMessage`).
    case policy = 3
}
