import Dispatch
import Foundation
import SashaSDK
import Synchronization
import Testing

@Suite("SnapshotCell")
struct SnapshotCellTests {
    /// A snapshot whose two fields must always agree; counts how many are alive.
    final class Snapshot: Sendable {
        static let alive = Atomic<Int>(0)
        let number: Int
        let copy: [Int]

        init(_ number: Int) {
            self.number = number
            self.copy = [number, number &* 31]
            Self.alive.wrappingAdd(1, ordering: .relaxed)
        }

        deinit { Self.alive.wrappingSubtract(1, ordering: .relaxed) }
    }

    @Test("Concurrent readers always see a whole snapshot while a writer replaces it, and old ones are freed")
    func concurrentReadersAndWriter() {
        let before = Snapshot.alive.load(ordering: .relaxed)
        do {
            let cell = SnapshotCell(Snapshot(0))
            let torn = Atomic<Int>(0)
            let backwards = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: 4) { thread in
                if thread == 0 {
                    for number in 1...10_000 { cell.replace(with: Snapshot(number)) }
                    return
                }
                var last = 0
                for _ in 0..<100_000 {
                    let (number, copy) = cell.read { ($0.number, $0.copy) }
                    if copy != [number, number &* 31] { torn.wrappingAdd(1, ordering: .relaxed) }
                    if number < last { backwards.wrappingAdd(1, ordering: .relaxed) }
                    last = number
                }
            }
            #expect(torn.load(ordering: .relaxed) == 0)
            #expect(backwards.load(ordering: .relaxed) == 0)
            #expect(cell.value.number == 10_000)
            // Only the current snapshot is still held: each replaced one was freed at once.
            #expect(Snapshot.alive.load(ordering: .relaxed) - before == 1)
        }
        #expect(Snapshot.alive.load(ordering: .relaxed) == before)
    }

    final class Members: Sendable {
        let numbers: Set<Int>
        init(_ numbers: Set<Int>) { self.numbers = numbers }
    }

    /// Threads of their own, not the test pool's: four writers at once on two cores, without
    /// holding up the socket tests that run beside this one.
    @Test("Writers that each add to the snapshot with update lose none of each other's additions; nil keeps it")
    func concurrentUpdatesKeepEveryChange() {
        let cell = SnapshotCell(Members([]))
        let done = DispatchGroup()
        for writer in 0..<4 {
            done.enter()
            Thread {
                for number in 0..<300 { cell.update { Members($0.numbers.union([writer * 10_000 + number])) } }
                done.leave()
            }.start()
        }
        done.wait()
        #expect(cell.value.numbers.count == 1_200)
        let kept = cell.value
        cell.update { _ in nil }
        #expect(cell.value === kept)
    }
}
