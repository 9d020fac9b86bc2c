package main

// gqlgen reads gqlgen.yml from this folder, so generation is driven from here.
//go:generate go tool gqlgen generate
