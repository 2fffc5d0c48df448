import NATS

extension KeyValueSnapshotStore {
    /// The snapshot in force: the latest manifest's, or the one before it when the latest
    /// one's chunks do not match (a warning says so); `nil` when no manifest was written.
    ///
    /// Chunks without a manifest (a crash while writing them) are never read: they are not
    /// referenced by the manifest in force.
    ///
    /// - Throws: ``ServiceError`` (`state`) when the manifest is damaged or neither snapshot
    ///   it names can be read back whole.
    func read() throws(ServiceError) -> [UInt8]? {
        let kv = try openKeyValue()
        let entry: KeyValue.Entry?
        do {
            entry = try NATSCall.retrying { () throws(NATSError) in try kv.get(manifestKey) }
        } catch {
            throw ServiceError(.state, "cannot read \(manifestKey) at \(location)", cause: error)
        }
        guard let entry else {
            state.withLock { $0.manifestRevision = nil }
            // A manifest deleted by --discard-state still has its revision: continue after it.
            return nil
        }
        state.withLock { $0.manifestRevision = entry.revision }
        let manifest: SnapshotManifest
        do throws(SnapshotFileError) {
            manifest = try SnapshotManifest(decoding: entry.value)
        } catch {
            throw ServiceError(.state, "the snapshot manifest \(manifestKey) at \(location) is damaged (\(error))")
        }
        var slotCounts = [0, 0]
        slotCounts[manifest.current.slot] = manifest.current.chunkSizes.count
        if let previous = manifest.previous { slotCounts[previous.slot] = previous.chunkSizes.count }
        state.withLock {
            $0.current = manifest.current
            $0.slotCounts = slotCounts
        }
        let why: String
        switch try readPart(manifest.current, from: kv) {
        case .success(let bytes):
            return bytes
        case .failure(let reason):
            why = reason.message
        }
        if let previous = manifest.previous, case .success(let bytes) = try readPart(previous, from: kv) {
            logger.warning("the latest snapshot cannot be read back; the one before it is restored", metadata: [
                "state.location": .string(location), "state.reason": .string(why),
                "state.generation": .stringConvertible(manifest.current.generation),
                "state.restored": .stringConvertible(previous.generation),
            ])
            state.withLock { $0.current = previous }
            return bytes
        }
        throw ServiceError(.state, "the snapshot (generation \(manifest.current.generation)) at \(location) cannot be read back: \(why)")
    }

    /// Why a part could not be read back.
    struct Unreadable: Error {
        var message: String
    }

    private func readPart(_ part: SnapshotManifest.Part, from kv: KeyValue) throws(ServiceError) -> Result<[UInt8], Unreadable> {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.total)
        for (index, size) in part.chunkSizes.enumerated() {
            let key = chunkKey(slot: part.slot, index: index)
            let chunk: KeyValue.Entry?
            do {
                chunk = try NATSCall.retrying { () throws(NATSError) in try kv.get(key) }
            } catch {
                throw ServiceError(.state, "cannot read \(key) at \(location)", cause: error)
            }
            guard let chunk else { return .failure(Unreadable(message: "chunk \(key) is missing")) }
            guard chunk.value.count == size else {
                return .failure(Unreadable(message: "chunk \(key) holds \(chunk.value.count) bytes, the manifest says \(size)"))
            }
            bytes += chunk.value
        }
        guard FNV1a.hash(bytes) == part.checksum else {
            return .failure(Unreadable(message: "the chunks' checksum does not match the manifest's"))
        }
        return .success(bytes)
    }

    /// Writes `bytes` as the next generation: its chunks into the slot the snapshot in force
    /// does not use, then the manifest with compare-and-set on the revision read or written
    /// last, then removes chunks of that slot beyond the new count.
    ///
    /// - Throws: ``ServiceError`` (`state`) when a write fails, the lock was taken by another
    ///   daemon, or the manifest was changed by someone else (the compare-and-set fails).
    func write(_ bytes: [UInt8]) throws(ServiceError) {
        let kv = try openKeyValue()
        try settleUnconfirmedManifest(kv)
        let (lostTo, chunkLimit, manifestRevision, current, slotCounts) = state.withLock {
            ($0.lostTo, $0.chunkLimit, $0.manifestRevision, $0.current, $0.slotCounts)
        }
        if let lostTo {
            throw ServiceError(.state, "the state lock at \(location) was taken by \(lostTo): snapshot not written")
        }
        let slot = current.map { 1 - $0.slot } ?? 0
        var sizes: [Int] = []
        var start = 0
        repeat {
            let end = min(start + chunkLimit, bytes.count)
            let key = chunkKey(slot: slot, index: sizes.count)
            do {
                let value = Array(bytes[start..<end])
                try NATSCall.retrying(patience: 10_000_000_000) { () throws(NATSError) in try kv.put(key, value) }
            } catch {
                throw ServiceError(.state, "cannot write \(key) at \(location)", cause: error)
            }
            sizes.append(end - start)
            start = end
        } while start < bytes.count
        let part = SnapshotManifest.Part(
            generation: (current?.generation ?? 0) + 1, slot: slot, chunkSizes: sizes, checksum: FNV1a.hash(bytes))
        let manifest = SnapshotManifest(current: part, previous: current).encode()
        let revision: UInt64
        do {
            if let manifestRevision {
                revision = try kv.update(manifestKey, manifest, expectedRevision: manifestRevision)
            } else {
                revision = try kv.create(manifestKey, manifest)
            }
        } catch where error.jetStreamCode == .wrongLastSequence {
            throw ServiceError(
                .state, "the snapshot manifest at \(location) was written by someone else since this daemon read it: snapshot not written",
                cause: error)
        } catch {
            var counts = slotCounts
            counts[slot] = max(counts[slot], sizes.count)
            state.withLock { $0.unconfirmed = (manifest, part, counts) }
            throw ServiceError(.state, "cannot write \(manifestKey) at \(location)", cause: error)
        }
        var counts = slotCounts
        let stale = counts[slot] > sizes.count ? sizes.count..<counts[slot] : 0..<0
        counts[slot] = sizes.count
        state.withLock {
            $0.manifestRevision = revision
            $0.current = part
            $0.slotCounts = counts
        }
        // The manifest is in: chunks of this slot past the new count belong to nothing.
        for index in stale {
            do {
                try kv.delete(chunkKey(slot: slot, index: index))
            } catch {
                logger.warning("could not delete a stale snapshot chunk", metadata: [
                    "state.key": .string(chunkKey(slot: slot, index: index)), "state.error": .string(String(describing: error)),
                ])
            }
        }
    }

    /// After a manifest write that got no answer: if the manifest stored now is the one that
    /// was sent, it is the snapshot in force (adopt its revision, so the next compare-and-set
    /// does not mistake it for someone else's and the next chunks go to the other slot);
    /// otherwise the write did not happen.
    private func settleUnconfirmedManifest(_ kv: KeyValue) throws(ServiceError) {
        guard let unconfirmed = state.withLock({ $0.unconfirmed }) else { return }
        let entry: KeyValue.Entry?
        do {
            entry = try kv.get(manifestKey)
        } catch {
            throw ServiceError(.state, "cannot read \(manifestKey) at \(location)", cause: error)
        }
        state.withLock { open in
            open.unconfirmed = nil
            if let entry, entry.value == unconfirmed.bytes {
                open.manifestRevision = entry.revision
                open.current = unconfirmed.part
            }
            open.slotCounts = unconfirmed.slotCounts
        }
    }

    /// Moves the manifest in force to `K.discarded` and deletes it, so that the next start
    /// begins empty; the chunks stay until later snapshots overwrite them.
    ///
    /// - Returns: where the manifest went.
    func discard() throws(ServiceError) -> String {
        let kv = try openKeyValue()
        do {
            if let entry = try kv.get(manifestKey) {
                try kv.put(discardedKey, entry.value)
                try kv.delete(manifestKey, expectedRevision: entry.revision)
            }
        } catch {
            throw ServiceError(.state, "cannot move \(manifestKey) aside at \(location)", cause: error)
        }
        state.withLock {
            $0.manifestRevision = nil
            $0.current = nil
        }
        return "\(discardedKey) in KV bucket \(settings.bucket)"
    }

    private func openKeyValue() throws(ServiceError) -> KeyValue {
        guard let kv = state.withLock({ $0.keyValue }) else {
            throw ServiceError(.state, "the state at \(location) is not locked")
        }
        return kv
    }
}
