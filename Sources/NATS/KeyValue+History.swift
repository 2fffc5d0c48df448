import CNATS

extension KeyValue {
    /// Every value of `key` the bucket still keeps (up to its `history` per key), oldest
    /// first, deletes and purges included.
    ///
    /// libnats reads them with an ordered consumer on the bucket's stream, so the answer is
    /// the stream's, not a lagging replica's.
    ///
    /// - Returns: the entries; empty when the key was never written.
    public func history(_ key: String, timeout: Duration = .seconds(5)) throws(NATSError) -> [Entry] {
        try KeyValue.checkKey(key)
        var options = kvWatchOptions()
        kvWatchOptions_Init(&options)
        options.Timeout = timeout.natsMilliseconds
        var list = kvEntryList()
        let status = kvStore_History(&list, handle, key, &options)
        if status == NATS_NOT_FOUND { return [] }
        guard status == NATS_OK else { throw NATSError.last(status, "kvStore_History(\(bucket), \(key))") }
        defer { kvEntryList_Destroy(&list) }
        return (0..<Int(list.Count)).compactMap { index -> Entry? in
            guard let entry = list.Entries[index] else { return nil }
            let operation: Entry.Operation
            switch kvEntry_Operation(entry) {
            case kvOp_Delete: operation = .delete
            case kvOp_Purge: operation = .purge
            default: operation = .put
            }
            let length = Int(kvEntry_ValueLen(entry))
            let value: [UInt8]
            if length > 0, let bytes = kvEntry_Value(entry) {
                value = Array(UnsafeRawBufferPointer(start: bytes, count: length))
            } else {
                value = []
            }
            return Entry(
                key: key, value: value, revision: kvEntry_Revision(entry), createdNanoseconds: kvEntry_Created(entry),
                operation: operation)
        }
    }
}
