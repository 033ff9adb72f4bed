from git_model.entry import main

main()
