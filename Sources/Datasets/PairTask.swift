// The sentence-pair task: is a support agent's reply about what the customer asked? Each
// request comes from the intent task's templates; half the replies are about the request's
// intent, half about another. Either text alone says nothing about the label: a classifier must
// read the pair (as GLUE's QNLI pairs a question with a sentence that may answer it).

extension DatasetGenerator {
  /// The reply task's labels: the reply is about the request's topic (its intent), or about
  /// another.
  public static let replyLabels = ["on_topic", "off_topic"]
  /// The share of reply labels flipped, as the other tasks have label noise.
  public static let replyNoise = 0.02

  /// A support agent's reply about `intent` (an index into `intentLabels`).
  static func reply(intent: Int, _ r: inout SeededRandom) -> String {
    let (machine, part) = (r.pick(machineNames), r.pick(domainNouns))
    let order = 10_000 + r.int(below: 90_000)
    let days = 2 + r.int(below: 12)
    let templates: [[String]] = [
      [
        "We have started a refund for order \(order); the money will be back within \(days) days.",
        "You can send the \(machine) back with the prepaid label and we will refund the full price.",
        "Once the returned \(machine) reaches our warehouse, the refund goes to your card.",
        "I have approved the return; print the label and we will reimburse you.",
      ],
      [
        "Order \(order) left our warehouse yesterday and the courier expects to deliver it in \(days) days.",
        "The tracking shows your parcel at the local depot; it should arrive tomorrow.",
        "I have asked the courier to redeliver the parcel to the right address.",
        "Your \(part) ships this week; you will get a tracking link by email.",
      ],
      [
        "Please send us a photo of the \(part); a technician will repair it under warranty.",
        "That sounds like a worn gasket; we will send a replacement \(part) free of charge.",
        "Book a repair slot on our site and a courier will collect the \(machine).",
        "Our workshop will fix the pump; the repair takes about \(days) days.",
      ],
      [
        "Start with 18 grams, a fine grind, and aim for a shot of about 25 seconds.",
        "Descale the \(machine) every two months with the tablets from the box.",
        "Steam the milk with the wand just below the surface until the jug feels hot.",
        "Grind a little finer if the shot runs fast, coarser if it drips.",
      ],
      [
        "I have sent a password reset link; it is valid for one hour.",
        "Your email address is updated; please log in again on every device.",
        "I have merged the two accounts, so all your orders are in one place now.",
        "Your account is deleted, as you asked; you will get a confirmation email.",
      ],
      [
        "Thank you so much for the kind words, enjoy your coffee!",
        "That made our day; I will pass your thanks on to the team.",
        "We are glad the \(machine) makes your mornings better, thanks for writing.",
        "Thanks for letting us know, happy brewing!",
      ],
    ]
    return r.pick(templates[intent])
  }

  /// `count` (request, reply) pairs, half on topic and half off; `noise` of the labels flipped.
  public static func replyExamples(count: Int, noise: Double = replyNoise, seed: UInt64) -> [Example] {
    var r = SeededRandom(seed: seed)
    let requests = intentExamples(count: count, noise: 0, seed: seed ^ 0x7A)
    return requests.enumerated().map { i, request in
      let intent = intentLabels.firstIndex(of: request.label)!
      let onTopic = (i / intentLabels.count) % 2 == 0
      let topic = onTopic ? intent : (intent + 1 + r.int(below: intentLabels.count - 1)) % intentLabels.count
      let reply = reply(intent: topic, &r)
      let label = onTopic != r.chance(noise) ? 0 : 1
      return Example(label: replyLabels[label], text: request.text, textPair: reply)
    }
  }
}
