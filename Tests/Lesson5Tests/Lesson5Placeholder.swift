// Lesson 5's graded exercise tests go in this target.
import XCTest
