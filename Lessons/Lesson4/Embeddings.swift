// Looking inside an embedding table: cosine neighbours, a 2-D projection (PCA by power
// iteration), how well word groups separate, and the pre-training curves the kit ships.

import Foundation
import TensorCore

/// Rows of a (count, dimension) table as unit vectors in Double (cosine = dot product).
func unitRows(_ table: Tensor, ids: [Int]) -> [[Double]] {
  let d = table.shape[1]
  return ids.map { id in
    let row = (0..<d).map { Double(table.data[id * d + $0]) }
    let norm = max(row.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
    return row.map { $0 / norm }
  }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

/// The `k` candidates most similar (cosine) to `word`, best first.
func nearestNeighbours(_ word: [Double], among candidates: [(token: String, vector: [Double])], k: Int)
  -> [(token: String, similarity: Double)]
{
  Array(candidates.map { ($0.token, dot(word, $0.vector)) }.sorted { $0.1 > $1.1 }.prefix(k))
}

/// The first `count` principal components of `rows` by power iteration on the covariance matrix,
/// with deflation: returns each row's coordinates and the share of the variance each component
/// explains. The products run on the tensor core (this file is compiled without optimisation).
func principalComponents(_ rows: [[Double]], count: Int = 2, iterations: Int = 100, generator: Generator)
  -> (coordinates: [[Double]], explained: [Double])
{
  let n = rows.count
  let d = rows[0].count
  let mean = (0..<d).map { j in rows.reduce(0) { $0 + $1[j] } / Double(n) }
  let centred = Tensor(rows.flatMap { row in zip(row, mean).map { Float($0 - $1) } }, shape: [n, d])
  let covariance = noGrad { centred.transpose(0, 1).matmul(centred) / Float(n) }  // (d, d)
  let total = (0..<d).reduce(0.0) { $0 + Double(covariance.data[$1 * d + $1]) }
  var components: [[Float]] = []
  var explained: [Double] = []
  for _ in 0..<count {
    var v = (0..<d).map { _ in generator.normal() }
    var eigenvalue: Float = 0
    for _ in 0..<iterations {
      var w = noGrad { covariance.matmul(Tensor(v, shape: [d, 1])) }.data  // (d)
      for c in components {  // stay orthogonal to the components found so far
        let projection = zip(w, c).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        w = zip(w, c).map { $0 - projection * $1 }
      }
      eigenvalue = max(w.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
      v = w.map { $0 / eigenvalue }
    }
    components.append(v)
    explained.append(total > 0 ? Double(eigenvalue) / total : 0)
  }
  let basis = Tensor(components.flatMap { $0 }, shape: [count, d])
  let projected = noGrad { centred.matmul(basis.transpose(0, 1)) }  // (n, count)
  return ((0..<n).map { r in (0..<count).map { Double(projected.data[r * count + $0]) } }, explained)
}

/// Leave-one-out nearest-centroid accuracy: each vector is given the group whose centroid (of
/// the other members) it is most similar to. Chance is about 1 / number of groups.
func nearestCentroidAccuracy(_ vectors: [[Double]], groups: [Int]) -> Double {
  let d = vectors[0].count
  let labels = Set(groups).sorted()
  var sums = [Int: [Double]]()
  var counts = [Int: Int]()
  for (v, g) in zip(vectors, groups) {
    sums[g] = zip(sums[g] ?? [Double](repeating: 0, count: d), v).map { $0 + $1 }
    counts[g, default: 0] += 1
  }
  var correct = 0
  for (v, g) in zip(vectors, groups) {
    var best = (label: -1, similarity: -Double.infinity)
    for label in labels {
      let own = label == g
      let n = Double(counts[label]! - (own ? 1 : 0))
      guard n > 0 else { continue }
      var (product, norm) = (0.0, 0.0)
      let sum = sums[label]!
      for j in 0..<d {
        let c = (sum[j] - (own ? v[j] : 0)) / n
        product += v[j] * c
        norm += c * c
      }
      let similarity = product / max(norm.squareRoot(), 1e-12)
      if similarity > best.similarity { best = (label, similarity) }
    }
    if best.label == g { correct += 1 }
  }
  return Double(correct) / Double(vectors.count)
}

/// The same accuracy with the group labels shuffled `rounds` times: what chance gives on this
/// data. Returns the 95th percentile.
func shuffledBaseline(_ vectors: [[Double]], groups: [Int], rounds: Int, generator: Generator) -> Double {
  let scores = (0..<rounds).map { _ in
    nearestCentroidAccuracy(vectors, groups: generator.shuffled(groups))
  }.sorted()
  return scores[min(scores.count - 1, Int(Double(scores.count) * 0.95))]
}

/// A pre-training curve as `course pretrain` writes it (pretraining.json).
struct PretrainingCurve: Decodable {
  struct Evaluation: Decodable {
    var step: Int
    var loss: Double
    var perplexity: Double
    var accuracy: Double
  }
  var training_loss: [Double]
  var evaluations: [Evaluation]

  init(contentsOf url: URL) throws {
    self = try JSONDecoder().decode(PretrainingCurve.self, from: Data(contentsOf: url))
  }
}

/// The mean of each window of `size` consecutive values, at the window's last index.
func movingAverage(_ values: [Double], size: Int) -> (x: [Double], y: [Double]) {
  guard values.count >= size, size > 0 else { return (values.indices.map(Double.init), values) }
  var sum = values.prefix(size).reduce(0, +)
  var x = [Double(size)]
  var y = [sum / Double(size)]
  for i in size..<values.count {
    sum += values[i] - values[i - size]
    x.append(Double(i + 1))
    y.append(sum / Double(size))
  }
  return (x, y)
}
