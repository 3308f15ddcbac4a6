print("Lesson 1: placeholder")
