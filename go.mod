module seg

go 1.26
