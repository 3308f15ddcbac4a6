print("Lesson 6")
