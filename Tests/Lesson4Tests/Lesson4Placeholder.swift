// Lesson 4's graded exercise tests go in this target.
import XCTest
