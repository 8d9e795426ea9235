module gort/escape/frontend

go 1.19
