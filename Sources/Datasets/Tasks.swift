// The two labelled tasks: espresso-machine review sentiment and support-request intent.

/// One labelled example: a text, or a pair of texts (paraphrase, entailment, question and
/// answer sentence), and its label.
public struct Example: Equatable, Sendable {
  public var label: String
  public var text: String
  /// The second text of a sentence pair (`text_pair`), `nil` for single-text tasks.
  public var textPair: String?

  public init(label: String, text: String, textPair: String? = nil) {
    self.label = label
    self.text = text
    self.textPair = textPair
  }
}

extension DatasetGenerator {
  public static let sentimentLabels = ["negative", "positive"]
  public static let intentLabels = ["refund", "delivery", "repair", "how_to", "account", "praise"]
  static let mailHosts = ["example.com", "mail.example.org", "post.example.net"]

  /// A clause about the machine with the polarity of `word`.
  static func clause(_ word: String, _ r: inout SeededRandom) -> String {
    let (machine, part, term) = (r.pick(machineNames), r.pick(domainNouns), r.pick(domainTerms))
    return r.pick([
      "the \(term) from the \(machine) is \(word)", "the \(part) feels \(word)", "the \(machine) is \(word)",
      "every \(term) tastes \(word)", "the \(part) on this \(machine) is \(word)",
      "customer service was \(word)",
      "the \(term) comes out \(word) every morning",
    ])
  }

  /// One review. `positive`/`negative` are the polarity words it may use. The sentence that
  /// decides the label is plain, negated, or the second half of a contrast.
  static func review(
    label: Int, positive: [String], negative: [String], _ r: inout SeededRandom
  ) -> String {
    let machine = r.pick(machineNames)
    return review(label: label, positive: positive, negative: negative, clause: clause, &r) { r in
      [
        "I bought the \(machine) in \(r.pick(["March", "June", "October", "December"])).",
        "I use it every morning before work.", "My partner mostly makes lattes with it.",
        "We replaced an old pod machine with it.", "It took a week to dial in my beans.",
        "I have owned it for \(2 + r.int(below: 10)) months now.",
      ]
    }
  }

  /// A review whose clauses come from `clause`, with `context` sentences around the one that
  /// decides the label (shared by the task's espresso reviews and the corpus's product reviews).
  static func review(
    label: Int, positive: [String], negative: [String],
    clause: (String, inout SeededRandom) -> String, _ r: inout SeededRandom,
    context makeContext: (inout SeededRandom) -> [String]
  ) -> String {
    let wanted = label == 1 ? positive : negative
    let opposite = label == 1 ? negative : positive
    var decisive: String
    switch r.int(below: 10) {
    case 0..<5:  // plain
      decisive = clause(r.pick(wanted), &r)
    case 5..<7:  // negation of the opposite word: "not flimsy" is praise, "not reliable" is not
      let c = clause(r.pick(opposite), &r)
      decisive = c.replacingFirst(" is ", with: " is not ").replacingFirst(" feels ", with: " does not feel ")
        .replacingFirst(" tastes ", with: " never tastes ").replacingFirst(" was ", with: " was not ")
        .replacingFirst(" comes out ", with: " never comes out ")
    default:  // contrast: the clause after "but" decides
      decisive =
        r.pick(["", "at first ", "on paper "]) + clause(r.pick(opposite), &r) + ", but "
        + clause(r.pick(wanted), &r)
    }
    decisive =
      decisive.prefix(1).uppercased() + decisive.dropFirst()
      + r.pick([".", ".", "!", ". Overall, that says it all."])
    let context = makeContext(&r)
    var sentences = [decisive]
    if r.chance(0.6) { sentences.insert(r.pick(context), at: 0) }
    if r.chance(0.3) { sentences.append(r.pick(context)) }
    return sentences.joined(separator: " ")
  }

  /// `count` balanced reviews with the given polarity words; `noise` of the labels flipped.
  public static func sentimentExamples(
    count: Int, positive: [String], negative: [String], noise: Double = sentimentNoise, seed: UInt64
  ) -> [Example] {
    var r = SeededRandom(seed: seed)
    return (0..<count).map { i in
      let label = i % 2
      let text = review(label: label, positive: positive, negative: negative, &r)
      let flipped = r.chance(noise) ? 1 - label : label
      return Example(label: sentimentLabels[flipped], text: text)
    }
  }

  /// `count` support requests, the six intents in turn; `noise` of the labels replaced.
  public static func intentExamples(count: Int, noise: Double = intentNoise, seed: UInt64) -> [Example] {
    var r = SeededRandom(seed: seed)
    return (0..<count).map { i in
      let intent = i % intentLabels.count
      let (machine, part, term) = (r.pick(machineNames), r.pick(domainNouns), r.pick(domainTerms))
      let (name, device) = (
        r.pick(firstNames), r.pick(["phone", "tablet", "laptop", "work computer", "old phone"])
      )
      let order = 10_000 + r.int(below: 90_000)
      let greeting = r.pick(["", "Hi, ", "Hello, ", "Good morning, ", "Hey there, "])
      let templates: [[String]] = [
        [
          "I would like my money back for the \(machine).", "how do I return the \(machine) I ordered?",
          "please refund order \(order), the \(part) arrived cracked.",
          "can I send the \(machine) back and get a refund?",
          "I changed my mind about the \(machine), how do I get reimbursed?",
        ],
        [
          "where is my order \(order)? It was due on \(r.pick(days)).", "has the \(machine) shipped yet?",
          "the tracking for order \(order) has not moved in a week.", "when will my \(part) be delivered?",
          "the courier left the parcel at the wrong address, what now?",
        ],
        [
          "the \(part) on my \(machine) leaks after every shot.", "my \(machine) will not heat up anymore.",
          "the \(part) makes a grinding noise, can someone fix it?",
          "the pump stopped working on my \(machine).",
          "there is water under the \(machine) every morning.",
        ],
        [
          "how should I adjust the grind size on the \(machine)?",
          "what is the right dose for a double shot on the \(machine)?",
          "how often should I descale the \(machine)?", "how do I steam milk for latte art with the \(part)?",
          "which setting gives more crema on the \(machine)?",
          "how do I clean the \(part) of the \(machine)?",
          "what water temperature should I use for a \(term) on the \(machine)?",
          "how long should pre-infusion take on the \(machine)?",
          "can I use the \(part) from the \(machine) on the \(r.pick(machineNames))?",
        ],
        [
          "I cannot log in to my account on my \(device).",
          "please change the email on my account to \(name.lowercased())@\(r.pick(mailHosts)).",
          "I forgot my password and the reset link never reaches \(name.lowercased())@\(r.pick(mailHosts)).",
          "how do I delete the account I made for order \(order)?",
          "my account shows someone else's orders since \(r.pick(days)).",
          "the app on my \(device) keeps logging me out of my account.",
          "can you merge my two accounts? One uses \(name.lowercased())@\(r.pick(mailHosts)).",
          "I never signed up, but I got an account email on \(r.pick(days)).",
        ],
        [
          "just wanted to say the \(machine) is \(r.pick(positiveWords)), thank you!",
          "your team was so helpful with my \(part), thanks a lot.",
          "the \(machine) made my mornings, great work.",
          "thank you for the quick help with order \(order)!", "love the \(machine), keep it up.",
        ],
      ]
      let body = r.pick(templates[intent])
      let text = greeting.isEmpty ? body.prefix(1).uppercased() + body.dropFirst() : greeting + body
      let label = r.chance(noise) ? r.int(below: intentLabels.count) : intent
      return Example(label: intentLabels[label], text: text)
    }
  }
}

extension String {
  /// The string with the first occurrence of `target` replaced.
  func replacingFirst(_ target: String, with replacement: String) -> String {
    guard let range = range(of: target) else { return self }
    return replacingCharacters(in: range, with: replacement)
  }
}
