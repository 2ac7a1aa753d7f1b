/// Finds the valid key an unknown key was most likely meant to be, for "did you mean" hints.
enum KeySuggestion {
    /// The closest of `candidates` to `key`, or nil when none is close enough to be a slip.
    /// Case and `-` versus `_` are ignored; otherwise the optimal string alignment distance (edits
    /// and swaps of neighbours) must be small for the key's length, or one must start the other.
    static func nearest(to key: String, in candidates: [String]) -> String? {
        let wanted = normalized(key)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let other = normalized(candidate)
            var distance = editDistance(wanted, other)
            if distance > allowance(for: wanted), wanted.count >= 3, other.starts(with: wanted) || wanted.starts(with: other) {
                distance = allowance(for: wanted)
            }
            guard distance <= allowance(for: wanted) else { continue }
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// "did you mean 'x'?" when something is close, else the list of valid keys.
    static func hint(for key: String, in candidates: [String]) -> String {
        if let nearest = nearest(to: key, in: candidates) { return "did you mean '\(nearest)'?" }
        return "valid keys are " + candidates.joined(separator: ", ")
    }

    private static func allowance(for key: [Character]) -> Int {
        switch key.count {
        case ...3: 1
        case ...6: 2
        default: 3
        }
    }

    private static func normalized(_ key: String) -> [Character] {
        Array(key.lowercased().map { $0 == "-" ? "_" : $0 })
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
    /// neighbouring characters each cost 1.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
