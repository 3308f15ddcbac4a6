// exp and erf for the hot loops. The C library's expf/erff are calls the compiler cannot
// vectorise; these are plain arithmetic, so a loop over them compiles to AVX2 code doing 8
// elements at once (measured: GELU over 1M floats 1.5 ms instead of 16 ms), at Float32
// accuracy (relative error ~1.2e-7 for exp, absolute ~4e-7 for erf).

/// eˣ (Cephes' expf): eˣ = 2ⁿ·eʳ with n = round(x/ln 2) and |r| ≤ ln2/2, eʳ by a polynomial,
/// and 2ⁿ written straight into the float's exponent bits.
@inline(__always)
func fastExp(_ input: Float) -> Float {
  let x = Swift.min(Swift.max(input, -87.3), 88.7)
  // Adding 1.5·2²³ rounds x/ln2 to an integer n held in the float's low mantissa bits, without
  // a float-to-int conversion (which would stop vectorisation).
  let shifted = x * 1.442_695_04 + 12_582_912
  let n = shifted - 12_582_912
  let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4  // x - n·ln2, ln2 split in two for accuracy
  var p: Float = 1.987_569_15e-4
  p = p * r + 1.398_199_95e-3
  p = p * r + 8.333_451_9e-3
  p = p * r + 4.166_579_59e-2
  p = p * r + 0.166_666_655
  p = p * r + 0.5
  let expR = p * r * r + r + 1
  let value = expR * Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
  // Beyond the clamps: exactly 0 (so masked attention weights are exactly 0) and infinity.
  return input < -87.3 ? 0 : (input > 88.7 ? .infinity : value)
}

/// erf (Abramowitz & Stegun 7.1.26).
@inline(__always)
func fastErf(_ x: Float) -> Float {
  let a = Swift.abs(x)
  let t = 1 / (1 + 0.327_591_1 * a)
  var p: Float = 1.061_405_429
  p = p * t - 1.453_152_027
  p = p * t + 1.421_413_741
  p = p * t - 0.284_496_736
  p = p * t + 0.254_829_592
  let y = 1 - p * t * fastExp(-a * a)
  return x < 0 ? -y : y
}

/// tanh as 1 - 2/(e²ˣ + 1), exact in the limits.
@inline(__always)
func fastTanh(_ x: Float) -> Float { 1 - 2 / (fastExp(2 * x) + 1) }
