/// A FIFO queue on a power-of-two circular buffer, with O(1) access by position from the
/// oldest element.
///
/// Modelled on swift-nio's `CircularBuffer`: indices wrap with a mask instead of a modulo,
/// and storage only grows (doubling), so a queue that has reached its working size never
/// allocates again. Unused cells hold a placeholder value, which keeps the storage a plain
/// `ContiguousArray<Element>` without optionals.
public struct RingBuffer<Element>: Sendable where Element: Sendable {
    @usableFromInline var storage: ContiguousArray<Element>
    @usableFromInline var head: Int = 0
    /// The number of elements in the queue.
    public private(set) var count: Int = 0
    @usableFromInline let placeholder: Element

    /// Creates an empty queue.
    /// - Parameters:
    ///   - placeholder: the value stored in unused cells.
    ///   - minimumCapacity: cells to allocate up front (rounded up to a power of two).
    public init(placeholder: Element, minimumCapacity: Int = 16) {
        self.placeholder = placeholder
        var capacity = 1
        while capacity < max(minimumCapacity, 1) { capacity <<= 1 }
        storage = ContiguousArray(repeating: placeholder, count: capacity)
    }

    @inlinable var mask: Int { storage.count &- 1 }

    /// Whether the queue is empty.
    public var isEmpty: Bool { count == 0 }

    /// The number of elements the queue holds before it grows.
    public var capacity: Int { storage.count }

    /// Appends an element at the back.
    /// - Complexity: O(1) amortized; O(1) without allocation once the capacity suffices.
    public mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[(head &+ count) & mask] = element
        count &+= 1
    }

    /// Removes and returns the oldest element.
    /// - Complexity: O(1).
    @discardableResult
    public mutating func removeFirst() -> Element {
        precondition(count > 0, "removeFirst on an empty RingBuffer")
        let element = storage[head]
        storage[head] = placeholder
        head = (head &+ 1) & mask
        count &-= 1
        return element
    }

    /// The oldest element, if any.
    public var first: Element? { count == 0 ? nil : storage[head] }

    /// The newest element, if any.
    public var last: Element? { count == 0 ? nil : storage[(head &+ count &- 1) & mask] }

    /// The element at `offset` from the oldest (0 is the oldest).
    /// - Complexity: O(1).
    public subscript(offset: Int) -> Element {
        get {
            precondition(offset >= 0 && offset < count, "RingBuffer offset out of range")
            return storage[(head &+ offset) & mask]
        }
        _modify {
            precondition(offset >= 0 && offset < count, "RingBuffer offset out of range")
            yield &storage[(head &+ offset) & mask]
        }
    }

    /// Removes every element, keeping the storage.
    /// - Complexity: O(capacity).
    public mutating func removeAll() {
        for i in storage.indices { storage[i] = placeholder }
        head = 0
        count = 0
    }

    private mutating func grow() {
        var bigger = ContiguousArray<Element>()
        bigger.reserveCapacity(storage.count * 2)
        for offset in 0..<count { bigger.append(storage[(head &+ offset) & mask]) }
        while bigger.count < storage.count * 2 { bigger.append(placeholder) }
        storage = bigger
        head = 0
    }
}
