import Logging

extension Replayer {
    /// The replay loop for a `nats://` target (``JetStreamReplayTarget``): the same events,
    /// pacing and summary as on ZeroMQ; there are no subscribers to wait for (the stream
    /// keeps everything), and the replay ends once the stream acknowledged every event.
    static func publishToJetStream(
        settings: Settings, file: ReplayFile?, generator: EventGenerator?, stop: StopSignal, logger: Logger,
        onBound: (String) -> Void
    ) throws -> Summary {
        let target = try JetStreamReplayTarget(endpoint: settings.publish, topic: settings.topic)
        logger.info("replay publishing to JetStream", metadata: [
            "replay.stream": .string(target.stream), "replay.subject": .string(target.subject),
            "replay.ids": .string(target.usesEventIDs ? "event" : "none"),
        ])
        onBound(settings.publish)
        var generator = generator
        let encoder = EventEncoder(codec: settings.codec)
        var event = DecodedEvent()
        var payload: [UInt8] = []
        var summary = Summary()
        var progress = Progress(enabled: settings.progress && Terminal.standardErrorIsTerminal)
        let start = Clock.monotonicNanoseconds()
        var firstEventTime: Double?
        var n = 0
        let limit = settings.count ?? (file != nil && !settings.loop ? file!.events.count : Int.max)
        while n < limit && !stop.isRequested {
            guard next(n, settings: settings, generator: &generator, file: file, into: &event) else { break }
            pace(n, event: event, settings: settings, start: start, firstEventTime: &firstEventTime, stop: stop)
            payload.removeAll(keepingCapacity: true)
            do throws(EventRejection) {
                try encoder.encode(event, into: &payload)
            } catch {
                throw ServiceError(.file, "event \(event.id) cannot be encoded: \(error.message)")
            }
            try target.send(payload, id: event.id)
            n += 1
            summary.classes[event.label, default: 0] += 1
            if n & 1023 == 0 { progress.update(n: n, start: start, classes: summary.classes) }
        }
        summary.duplicates = Int(try target.finish())
        summary.events = n
        summary.seconds = Double(Clock.monotonicNanoseconds() &- start) / 1e9
        progress.finish()
        return summary
    }
}
