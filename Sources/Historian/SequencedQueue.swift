/// A first-in, first-out queue whose elements carry increasing sequence numbers, so that the writer can remove
/// exactly what it committed even if the oldest elements were dropped while it was writing.
///
/// An array with a moving head: appends and removals at the front are amortised O(1), which keeps
/// ``Historian/record(_:)`` cheap with 100 000 readings buffered. (swift-collections' `Deque` would do, but the
/// historian target does not depend on it.)
struct SequencedQueue<Element: Sendable>: Sendable {
    struct Item: Sendable {
        var sequence: UInt64
        var element: Element
    }

    private var storage: [Item] = []
    private var head = 0
    private(set) var lastSequence: UInt64 = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }
    var first: Item? { isEmpty ? nil : storage[head] }

    /// Appends `element` and returns its sequence number.
    @discardableResult
    mutating func append(_ element: Element) -> UInt64 {
        lastSequence += 1
        storage.append(Item(sequence: lastSequence, element: element))
        return lastSequence
    }

    /// Up to `limit` items from the front, with sequence numbers no greater than `sequence`.
    func prefix(_ limit: Int, through sequence: UInt64 = .max) -> [Item] {
        var items: [Item] = []
        var index = head
        while index < storage.count, items.count < limit, storage[index].sequence <= sequence {
            items.append(storage[index])
            index += 1
        }
        return items
    }

    /// Removes the items with sequence numbers no greater than `sequence`; returns how many.
    @discardableResult
    mutating func removeThrough(_ sequence: UInt64) -> Int {
        var removed = 0
        while head < storage.count, storage[head].sequence <= sequence {
            head += 1
            removed += 1
        }
        compactIfWorthIt()
        return removed
    }

    /// Removes `n` items from the front; returns how many there were.
    @discardableResult
    mutating func removeFirst(upTo n: Int) -> Int {
        let removed = min(n, count)
        head += removed
        compactIfWorthIt()
        return removed
    }

    /// True when every item with a sequence number up to `sequence` has left the queue.
    func isPast(_ sequence: UInt64) -> Bool {
        guard let first else { return true }
        return first.sequence > sequence
    }

    private mutating func compactIfWorthIt() {
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096, head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}
