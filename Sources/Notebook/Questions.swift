// End-of-lesson questions: a few that make the student predict or explain from the run they
// just watched. The answers are in docs/instructors.md, one section per lesson.

extension Notebook {
  /// A closing "Questions" section: each question numbered and wrapped to the terminal.
  public func questions(_ list: [String]) {
    page.questions = list  // the lesson's page renders them after its exercises (MarkdownPage.swift)
    section("Questions")
    for (i, question) in list.enumerated() {
      let number = "\(i + 1). "
      let body = wrap(question, indent: String(repeating: " ", count: number.count))
      emit(number + body.dropFirst(number.count) + "\n\n")
    }
  }
}
