module github.com/edgewamp/edgewamp

go 1.26
