import StreamSMOTECore

/// One configuration's figures.
struct CoreBenchmarkRow {
    var n: Int
    var d: Int
    var fillSeconds: Double
    var slideMicros: Double
    var passesPerSlide: Double
    var refitMillis: Double
    var refitRows: Int
    var generatedPerSecond: Double
    var simdPassMicros: Double
    var scalarPassMicros: Double

    static let header =
        "      n    d   fill s   slide µs  passes   refit ms (rows)    refit÷slide      gen/s   pass µs simd/scalar  simd×"

    var line: String {
        func f(_ x: Double, _ digits: Int) -> String {
            var s = String(x.rounded(toPlaces: digits))
            if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) - 1 < digits {
                s += String(repeating: "0", count: digits - s.distance(from: dot, to: s.endIndex) + 1)
            }
            return s
        }
        func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        let ratio = refitMillis * 1000 / slideMicros
        return pad("\(n)", 7) + pad("\(d)", 5) + pad(f(fillSeconds, 1), 9) + pad(f(slideMicros, 1), 11)
            + pad(f(passesPerSlide, 2), 8) + pad(f(refitMillis, 1), 11) + pad("(\(refitRows))", 8)
            + pad(f(ratio, 0) + "×", 15) + pad(f(generatedPerSecond / 1e6, 2) + "M", 11)
            + pad(f(simdPassMicros, 1) + "/" + f(scalarPassMicros, 1), 21) + pad(f(scalarPassMicros / simdPassMicros, 2), 7)
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}

/// Measures one (n, d) configuration.
struct CoreBenchmark {
    let n: Int
    let d: Int
    let k: Int
    let seconds: Double
    var random: Xoshiro256StarStar
    var point: [Float]

    init(n: Int, d: Int, k: Int, seed: UInt64, seconds: Double) {
        self.n = n
        self.d = d
        self.k = k
        self.seconds = seconds
        random = Xoshiro256StarStar(seed: seed ^ UInt64(n &* 1_000_003 &+ d))
        point = [Float](repeating: 0, count: d)
    }

    /// A point from a mixture of 16 Gaussian-ish clusters (sums of uniforms), so neighbour
    /// lists look like real data rather than a uniform cube.
    mutating func nextPoint() {
        let cluster = Float(random.nextInt(below: 16))
        for i in 0..<d {
            let noise = random.nextUnitFloat() + random.nextUnitFloat() + random.nextUnitFloat() - 1.5
            point[i] = noise + (i % 4 == 0 ? cluster : -cluster * 0.5)
        }
    }

    mutating func run(slides: Int, fillBudget: Double) -> CoreBenchmarkRow? {
        let clock = ContinuousClock()
        var graph = NeighborGraph(dimension: d, k: k, reservingPoints: n)
        var fifo = RingBuffer<Int32>(placeholder: -1, minimumCapacity: n)

        // Fill. Insert i costs i distances, so the first m inserts predict the whole fill:
        // total ≈ t(m) × (n / m)².
        let probe = min(n, max(n / 20, 1))
        var start = clock.now
        for i in 0..<n {
            if i == probe {
                let elapsed = elapsedSeconds(clock.now - start)
                let estimate = elapsed * Double(n) * Double(n) / (Double(probe) * Double(probe))
                if estimate > fillBudget {
                    print(
                        "  n=\(n) d=\(d): skipped, filling would take about \(Int(estimate)) s "
                            + "(over --fill-budget \(Int(fillBudget)) s)")
                    return nil
                }
            }
            nextPoint()
            fifo.append(Int32(point.withUnsafeBufferPointer { graph.insert($0) }))
        }
        let fillSeconds = elapsedSeconds(clock.now - start)

        // Slides: the steady state of a full reservoir, oldest out first.
        let passesBefore = graph.distancePasses
        var done = 0
        start = clock.now
        let deadline = start.advanced(by: .milliseconds(Int64(self.seconds * 1000)))
        while done < slides {
            graph.remove(Int(fifo.removeFirst()))
            nextPoint()
            fifo.append(Int32(point.withUnsafeBufferPointer { graph.insert($0) }))
            done += 1
            if done % 8 == 0 && clock.now > deadline { break }
        }
        let slideMicros = elapsedSeconds(clock.now - start) * 1e6 / Double(done)
        let passesPerSlide = Double(graph.distancePasses - passesBefore) / Double(done)

        // SMOTE generation from the graph, as the engine does it.
        var batch = ContiguousArray<Float>()
        batch.reserveCapacity(d * 1024)
        var generated = 0
        var checksum: Float = 0
        start = clock.now
        let generationDeadline = start.advanced(by: .milliseconds(Int64(min(self.seconds, 1) * 1000)))
        repeat {
            for _ in 0..<1024 {
                let seed = Int(fifo[random.nextInt(below: fifo.count)])
                let neighbor = graph.neighbor(of: seed, at: random.nextInt(below: graph.neighborCount(of: seed)))
                graph.points.interpolate(
                    from: seed, to: neighbor, gap: random.nextUnitFloat(), appendingTo: &batch)
            }
            checksum += batch[0]
            batch.removeAll(keepingCapacity: true)
            generated += 1024
        } while clock.now < generationDeadline
        let generatedPerSecond = Double(generated) / elapsedSeconds(clock.now - start)

        // Brute-force refit: every point's k nearest among all n, same kernel. Timed on a
        // subset of rows and scaled to n.
        var distances = ContiguousArray<Float>()
        var refitRows = 0
        var best = [Float](repeating: .infinity, count: k)
        start = clock.now
        let refitDeadline = start.advanced(by: .milliseconds(Int64(self.seconds * 1000)))
        while refitRows < n {
            let row = Int(fifo[refitRows])
            graph.points.squaredDistances(from: row, weightsSquared: nil, into: &distances)
            for i in 0..<k { best[i] = .infinity }
            for j in 0..<graph.points.slotCount where j != row {
                let value = distances[j]
                if value < best[k - 1] {
                    var p = k - 1
                    while p > 0 && best[p - 1] > value {
                        best[p] = best[p - 1]
                        p -= 1
                    }
                    best[p] = value
                }
            }
            checksum += best[0]
            refitRows += 1
            if refitRows % 4 == 0 && clock.now > refitDeadline { break }
        }
        let refitMillis = elapsedSeconds(clock.now - start) * 1e3 * Double(n) / Double(refitRows)

        // One distance pass: SIMD kernel vs scalar loop, over the same rows.
        let (simd, scalar) = passTimes(graph.points, origin: Int(fifo[0]))
        if checksum.isNaN { print("") }  // keeps the work observable
        return CoreBenchmarkRow(
            n: n, d: d, fillSeconds: fillSeconds, slideMicros: slideMicros, passesPerSlide: passesPerSlide,
            refitMillis: refitMillis, refitRows: refitRows, generatedPerSecond: generatedPerSecond,
            simdPassMicros: simd, scalarPassMicros: scalar)
    }

    /// Microseconds per full pass with the SIMD kernel and with the scalar loop.
    func passTimes(_ points: FeatureMatrix, origin: Int) -> (Double, Double) {
        let clock = ContinuousClock()
        let rows = points.slotCount
        var flat = [Float](repeating: 0, count: rows * d)
        for r in 0..<rows where points.isLive(r) {
            for i in 0..<d { flat[r * d + i] = points.value(r, i) }
        }
        var out = [Float](repeating: 0, count: rows)
        let repetitions = max(1, 20_000_000 / (rows * d))
        func time(_ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Float) -> Double {
            let start = clock.now
            flat.withUnsafeBufferPointer { all in
                let base = all.baseAddress!
                let a = base + origin * d
                for _ in 0..<repetitions {
                    for j in 0..<rows { out[j] = kernel(a, base + j * d, d) }
                }
            }
            return elapsedSeconds(clock.now - start) * 1e6 / Double(repetitions)
        }
        let simd = time { SquaredDistance.euclidean($0, $1, dimension: $2) }
        let scalar = time { SquaredDistance.euclideanScalar($0, $1, dimension: $2) }
        if out[0].isNaN { print("") }
        return (simd, scalar)
    }
}

func elapsedSeconds(_ duration: Duration) -> Double {
    let (s, attoseconds) = duration.components
    return Double(s) + Double(attoseconds) * 1e-18
}
