print("course: placeholder")
