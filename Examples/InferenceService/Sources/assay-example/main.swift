import ArgumentParser
import Hummingbird
import ExampleInference
print("x")
