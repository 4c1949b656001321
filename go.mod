module github.com/perwatt/perwatt

go 1.26
